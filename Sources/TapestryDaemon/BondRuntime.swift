import Bonding
import Datapath
import HostSystem
import TapestryModel

/// A realized bond: its datapath backend, its controller (member links with the delays, LACP,
/// the hash buckets) and its members' netdevs as last seen. Used under the bridges service's lock.
final class BondRuntime {
    let backend: BondBackend
    let controller: BondController
    /// Per member: the netdev as last seen by the link monitor.
    var links: [LinkInfo]
    /// Member up/down transitions, for metrics.
    var memberChanges: [UInt64]

    init(backend: BondBackend, controller: BondController, links: [LinkInfo]) {
        self.backend = backend; self.controller = controller; self.links = links
        memberChanges = Array(repeating: 0, count: links.count)
    }

    /// The controller's table as the datapath uses it.
    var table: BondTable {
        BondTable(mode: controller.mode, enabled: controller.enabled, buckets: controller.hasher.buckets,
                  active: controller.hasher.activeMember)
    }

    static func mode(_ m: BondConfig.Mode) -> BondMode {
        switch m {
        case .activeBackup: .activeBackup
        case .balanceSLB: .balanceSLB
        case .balanceTCP: .balanceTCP
        }
    }

    /// Attaches every member (AF_PACKET sockets, one per datapath thread) and builds the bond; the
    /// error names the member that could not be attached, and nothing stays open then.
    static func realize(_ p: PortConfig, id: UInt32, threads: Int) throws -> (BondRuntime, fds: [Int32]) {
        guard let c = p.bond else { throw SystemError("add bond \(p.name)", cause: "no members") }
        var handles: [SystemInterface.Handle] = []
        do {
            for m in c.members {
                do { handles.append(try SystemInterface.attach(name: m, sockets: threads)) } catch {
                    throw SystemError("add bond \(p.name)", cause: "member \(m): \(error)")
                }
            }
        } catch {
            for h in handles { for fd in h.fds { Syscall.close(fd) } }
            throw error
        }
        let fds = handles.flatMap(\.fds)
        let backend: BondBackend
        do {
            backend = try BondBackend(memberNames: c.members, sockets: handles.map(\.fds), mode: mode(c.mode))
        } catch {
            for fd in fds { Syscall.close(fd) }
            throw SystemError("add bond \(p.name)", cause: "\(error)")
        }
        let now = Int64(LinkMonitor.now() / 1000)
        var lacp: LACPAggregator?
        if c.lacp != .off {
            // The system id: the first member's MAC (stable while the member is); the key: the port's id.
            let system = handles.first?.link.mac.flatMap(MACAddress.init)?.octets ?? [0x02, 0, 0, 0, 0, UInt8(truncatingIfNeeded: id)]
            lacp = LACPAggregator(mode: c.lacp == .active ? .active : .passive, fastRate: c.lacpRate == .fast,
                                  system: Array(system.prefix(6)), key: UInt16(truncatingIfNeeded: id + 1), now: now)
        }
        let controller = BondController(mode: mode(c.mode), members: c.members, carrier: handles.map(\.link.isRunning), lacp: lacp,
                                        updelay: Int64(c.updelay), downdelay: Int64(c.downdelay), now: now)
        let runtime = BondRuntime(backend: backend, controller: controller, links: handles.map(\.link))
        _ = controller.takeChanged()
        backend.install(runtime.table)  // not yet in the datapath
        return (runtime, fds)
    }
}
