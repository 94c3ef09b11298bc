import ControlProtocol
import TapestryModel

/// What applying a topology needs from the machine, and nothing more: network namespaces, links
/// and addresses inside them, the lab daemons and their control sockets, and the lab's record
/// file. `TopologyApplier` drives it; the CLI passes the real one (netlink through HostSystem),
/// unit tests a fake. Every name is inside a namespace the lab made.
public protocol TopologyHost: AnyObject {
    // MARK: namespaces
    /// The named network namespaces (`/run/netns`).
    func namespaces() -> Set<String>
    /// `ip netns add NS` with its loopback up.
    func createNamespace(_ ns: String) throws(TopologyHostError)
    /// Ends every process still inside `ns` (by pid), then deletes it.
    func deleteNamespace(_ ns: String) throws(TopologyHostError)

    // MARK: links
    /// The interface names in `ns`.
    func interfaces(in ns: String) -> Set<String>
    /// Waits up to `seconds` for `name` to appear in `ns`; whether it did.
    func waitForInterface(_ name: String, in ns: String, seconds: Int) -> Bool
    /// A Linux bridge `name` in `ns`, up.
    func createBridge(_ name: String, in ns: String) throws(TopologyHostError)
    /// A veth pair made directly in two namespaces: `name` in `ns`, `peer` in `peerNamespace` (both down).
    func createVeth(_ name: String, in ns: String, peer: String, in peerNamespace: String) throws(TopologyHostError)
    /// Deletes link `name` in `ns`; a missing one is not an error.
    func deleteLink(_ name: String, in ns: String) throws(TopologyHostError)
    /// Brings `name` in `ns` up, enslaved to `master` when given.
    func setUp(_ name: String, in ns: String, master: String?) throws(TopologyHostError)

    // MARK: addresses and routes
    /// IPv4 addresses (`A.B.C.D/N`) and IPv6 ones other than link-local (`fd00::1/64`) per interface
    /// in `ns`; every interface is a key, also one without addresses.
    func addresses(in ns: String) -> [String: [String]]
    /// Adds (or keeps) `cidr` on `dev` in `ns`.
    func addAddress(_ cidr: IPNetwork, to dev: String, in ns: String) throws(TopologyHostError)
    /// Removes `cidr` from `dev` in `ns`; a missing one is not an error.
    func deleteAddress(_ cidr: IPNetwork, from dev: String, in ns: String) throws(TopologyHostError)
    /// The IPv4 default gateway in `ns`.
    func defaultGateway(in ns: String) -> IPv4Address?
    /// Replaces the IPv4 default route in `ns`.
    func setDefaultRoute(via gateway: IPv4Address, dev: String, in ns: String) throws(TopologyHostError)
    /// Whether IPv4 forwarding is on in `ns`.
    func forwarding(in ns: String) -> Bool
    /// Turns IPv4 forwarding on in `ns` (its own sysctl, never the root namespace's).
    func enableForwarding(in ns: String) throws(TopologyHostError)
    /// Runs a DHCP client once on `dev` in `ns`, applying the lease there; throws when none came.
    func runDHCPClient(on dev: String, in ns: String, workDirectory: String) throws(TopologyHostError)

    // MARK: daemons and sockets
    /// Starts tapestryd for a lab host inside its namespace and waits until its socket answers; its pid.
    func startDaemon(_ host: LabHost, directory: String) throws(TopologyHostError) -> Int32
    /// Stops the daemon `pid` if it is still the one started with `marker` (its state directory).
    func stopDaemon(pid: Int32, marker: String)
    /// One control call to the daemon at `socket`.
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, socket: String, timeout: Int) throws(TopologyHostError) -> M.Result

    // MARK: the lab's record
    /// The lab record stored at `path`, if any.
    func readRecord(at path: String) -> LabRecord?
    /// Stores the lab record at `path` (atomically).
    func writeRecord(_ record: LabRecord, at path: String)
    /// Removes the lab's directory (after destroy).
    func removeDirectory(_ path: String)
}

/// Why a host step failed, in words (`could not add address 10.0.0.1/24 to gw10 in demo-host: ...`).
public struct TopologyHostError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
