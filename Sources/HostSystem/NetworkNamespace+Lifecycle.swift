import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Making and removing named network namespaces the way `ip netns add|del|pids` does:
/// a file in /run/netns (a shared mount, so other mount namespaces see it) with the
/// namespace bind-mounted onto it; and links made directly inside them.
extension NetworkNamespace {
    /// The names in /run/netns (`ip netns list`).
    public static func list() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    /// `ip netns add NAME`, with its loopback up.
    public static func create(_ name: String) throws(SystemError) {
        let what = "network namespace \(name)"
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw SystemError("create \(what)", cause: "not a valid name")
        }
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw SystemError("mkdir \(directory)", errno: errno) }
        // As ip does: make /run/netns a shared mount (a bind mount onto itself first when it is not a mount point).
        if mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 && errno == EINVAL {
            try Syscall.run("mount", "--bind \(directory)") { mount(directory, directory, "none", UInt(MS_BIND | MS_REC), nil) }
            try Syscall.run("mount", "--make-shared \(directory)") { mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) }
        }
        let path = directory + "/" + name
        let fd = try Syscall.run("open", "\(path) (new)") { open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0) }
        Syscall.close(fd)
        // A fresh thread moves to a new namespace and pins it onto the file; the caller's thread is untouched.
        let box = LockedBox<SystemError?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            do throws(SystemError) {
                try Syscall.shim("unshare", "(CLONE_NEWNET) for \(what)") { tp_netns_unshare() }
                try Syscall.run("mount", "--bind of \(what)") { mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil) }
            } catch {
                box.set(error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        if let error = box.get() {
            unlink(path)
            throw error
        }
        do {
            try run(in: name) { try Netlink().change("lo", up: true) }
        } catch {
            try? delete(name)
            throw SystemError("bring up lo in \(what)", cause: "\(error)")
        }
    }

    /// `ip netns del NAME` (the namespace itself ends with its last process).
    public static func delete(_ name: String) throws(SystemError) {
        let path = directory + "/" + name
        guard access(path, F_OK) == 0 else { return }
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL { throw SystemError("umount \(path)", errno: errno) }
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("unlink \(path)", errno: errno) }
    }

    /// `ip netns pids NAME`: the processes whose network namespace is `name`.
    public static func processes(in name: String) -> [pid_t] {
        var target = stat()
        guard stat(directory + "/" + name, &target) == 0 else { return [] }
        var out: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry) else { continue }
            var st = stat()
            if stat("/proc/\(entry)/ns/net", &st) == 0 && st.st_ino == target.st_ino && st.st_dev == target.st_dev { out.append(pid) }
        }
        return out
    }

    /// `ip link add NAME netns NS type veth peer name PEER netns PEERNS`: a veth pair made directly
    /// in two named namespaces (never in the caller's).
    public static func createVeth(_ name: String, in ns: String, peer: String, in peerNamespace: String) throws(SystemError) {
        let a = try Syscall.run("open", "network namespace \(ns)") { open(directory + "/" + ns, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(a) }
        let b = try Syscall.run("open", "network namespace \(peerNamespace)") { open(directory + "/" + peerNamespace, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(b) }
        try Netlink().createVeth(name, namespaceFD: a, peer: peer, peerNamespaceFD: b)
    }
}
