import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Making and removing named network namespaces the way `ip netns add|del|pids` does:
/// a file in /run/netns (a shared mount, so other mount namespaces see it) with the
/// namespace bind-mounted onto it.
extension NetworkNamespace {
    /// The names in /run/netns (`ip netns list`).
    public static func list() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    /// `ip netns add NAME`, with its loopback up.
    public static func create(_ name: String) throws(SystemError) {
        let what = "create network namespace \(name)"
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { throw SystemError(what, cause: "not a valid name") }
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw SystemError(what, errno: errno) }
        // As ip does: make /run/netns a shared mount (a bind mount onto itself first when it is not a mount point).
        if mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 && errno == EINVAL {
            _ = mount(directory, directory, "none", UInt(MS_BIND | MS_REC), nil)
            _ = mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil)
        }
        let path = directory + "/" + name
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SystemError(what, errno: errno) }
        close(fd)
        // A fresh thread moves to a new namespace and pins it onto the file; the caller's thread is untouched.
        let box = LockedBox<Int32>(0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let r = tp_netns_unshare()
            if r < 0 { box.set(-r); return }
            if mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil) != 0 { box.set(errno) }
        }
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        let code = box.get()
        guard code == 0 else {
            unlink(path)
            throw SystemError(what, errno: code)
        }
        do {
            try run(in: name) { try Netlink().change("lo", up: true) }
        } catch {
            try? delete(name)
            throw SystemError(what, cause: "\(error)")
        }
    }

    /// `ip netns del NAME` (the namespace itself ends with its last process).
    public static func delete(_ name: String) throws(SystemError) {
        let path = directory + "/" + name
        guard access(path, F_OK) == 0 else { return }
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL { throw SystemError("unmount network namespace \(name)", errno: errno) }
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("delete network namespace \(name)", errno: errno) }
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
}
