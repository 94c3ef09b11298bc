import Foundation

/// Domain XML for the project's test guest under libvirt: `<domain type='qemu'>` (TCG) with ACPI,
/// the kernel and initramfs copied into the libvirt host's folder, the console in a file and the
/// guest's command agent on a Unix socket (ttyS1), so `GuestVM(attachedTo:)` can drive it.
public struct LibvirtDomain: Sendable {
    public var name: String
    public var uuid: String
    /// `<interface>` elements, verbatim.
    public var interfaces: [String]
    public var network: GuestVM.Network

    public init(name: String, uuid: String, interfaces: [String], network: GuestVM.Network = .dhcp) {
        self.name = name; self.uuid = uuid; self.interfaces = interfaces; self.network = network
    }

    public func console(in host: LibvirtHost) -> String { "\(host.directory)/\(name)-console.log" }
    public func agentSocket(in host: LibvirtHost) -> String { "\(host.directory)/\(name)-agent.sock" }

    /// The XML for `host` (copies the guest images into its folder first).
    public func xml(for host: LibvirtHost) throws -> String {
        let images = try TestGuest.images()
        let kernel = host.directory + "/images/vmlinuz"
        let initrd = host.directory + "/images/initrd.img"
        let fm = FileManager.default
        if !fm.fileExists(atPath: kernel) { try fm.copyItem(atPath: images.kernel, toPath: kernel) }
        if !fm.fileExists(atPath: initrd) { try fm.copyItem(atPath: images.initrd, toPath: initrd) }
        return """
            <domain type='qemu'>
              <name>\(name)</name>
              <uuid>\(uuid)</uuid>
              <memory unit='MiB'>256</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>\(kernel)</kernel>
                <initrd>\(initrd)</initrd>
                <cmdline>console=ttyS0 quiet panic=1 \(network.parameter) tapestry.agent=ttyS1</cmdline>
              </os>
              <features><acpi/></features>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>destroy</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>\(TestGuest.qemu)</emulator>
            \(interfaces.joined(separator: "\n"))
                <serial type='file'><source path='\(console(in: host))'/><target port='0'/></serial>
                <serial type='unix'><source mode='bind' path='\(agentSocket(in: host))'/><target port='1'/></serial>
                <memballoon model='none'/>
              </devices>
            </domain>
            """
    }
}

extension LibvirtHost {
    /// Defines and starts `domain`; returns the guest to drive through its agent.
    public func start(_ domain: LibvirtDomain) throws -> GuestVM {
        let define = virsh(["define"], xml: try domain.xml(for: self))
        guard define.ok else { throw TestWorldError("virsh define \(domain.name) failed: \(define)\n\(errors)") }
        let start = virsh("start", domain.name)
        guard start.ok else { throw TestWorldError("virsh start \(domain.name) failed: \(start)\n\(errors)") }
        let pid = qemuPid(domain.name)
        guard pid > 0 else { throw TestWorldError("no QEMU pid for \(domain.name)") }
        return GuestVM(attachedTo: domain.name, console: domain.console(in: self), agentSocket: domain.agentSocket(in: self),
                       pid: pid, qemuLog: "\(directory)/log/qemu/\(domain.name).log")
    }
}
