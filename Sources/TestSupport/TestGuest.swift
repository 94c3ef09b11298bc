import Foundation

/// The project's small test guest built by `Tools/guest` (a Debian kernel and a busybox initramfs
/// whose init takes a DHCP lease on eth0, runs a script from the kernel command line and serves a
/// command agent on ttyS1), and whether QEMU can run it here.
public enum TestGuest {
    /// The repository's top folder: $TAPESTRY_SOURCE_DIR, else found from this file's place.
    public static var sourceDirectory: String {
        if let d = ProcessInfo.processInfo.environment["TAPESTRY_SOURCE_DIR"] { return d }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The QEMU binary the guests run on.
    public static let qemu = "/usr/bin/qemu-system-x86_64"

    /// Whether QEMU is installed and Tools/guest exists (the images are built on first use).
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: qemu)
            && FileManager.default.isExecutableFile(atPath: sourceDirectory + "/Tools/guest")
    }

    /// Kernel and initramfs paths (builds them once through Tools/guest; later calls are quick).
    public static func images() throws -> (kernel: String, initrd: String) {
        let out = Shell.run(Shell.quote(sourceDirectory + "/Tools/guest"), timeout: 600)
        guard out.ok else { throw TestWorldError("Tools/guest failed: \(out)") }
        var kernel: String?
        var initrd: String?
        for line in out.stdout.split(separator: "\n") {
            if line.hasPrefix("KERNEL=") { kernel = String(line.dropFirst(7)) }
            if line.hasPrefix("INITRD=") { initrd = String(line.dropFirst(7)) }
        }
        guard let kernel, let initrd else { throw TestWorldError("Tools/guest printed no paths: \(out)") }
        return (kernel, initrd)
    }

    /// The kernel parameter that makes the guest run `script` (a shell script) once its network is up.
    public static func scriptParameter(_ script: String) -> String {
        "tapestry.run=" + Data(script.utf8).base64EncodedString()
    }
}
