/// A bridge protocol data unit (802.1D-2004 clause 9): a configuration or topology change
/// notification BPDU of legacy STP, or a rapid spanning tree (RST) BPDU.
public struct BPDU: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case config = 0x00, rst = 0x02, tcn = 0x80 }

    /// The port role a RST BPDU announces (flags bits 2–3).
    public enum Role: UInt8, Sendable { case unknown = 0, alternateOrBackup = 1, root = 2, designated = 3 }

    public var kind: Kind
    /// 0 for STP, 2 for RSTP (3 and up, MSTP, are read as RSTP).
    public var version: UInt8
    public var topologyChange = false
    public var proposal = false
    public var role: Role = .unknown
    public var learning = false
    public var forwarding = false
    public var agreement = false
    public var topologyChangeAck = false
    public var root = BridgeIdentifier(value: 0)
    public var rootPathCost: UInt32 = 0
    public var bridge = BridgeIdentifier(value: 0)
    public var port = PortIdentifier(value: 0)
    public var times = STPTimes(messageAge: 0, maxAge: 20, hello: 2, forwardDelay: 15)

    public init(kind: Kind, version: UInt8) { self.kind = kind; self.version = version }

    /// The flags octet.
    var flags: UInt8 {
        var f: UInt8 = 0
        if topologyChange { f |= 0x01 }
        if proposal { f |= 0x02 }
        f |= role.rawValue << 2
        if learning { f |= 0x10 }
        if forwarding { f |= 0x20 }
        if agreement { f |= 0x40 }
        if topologyChangeAck { f |= 0x80 }
        return f
    }

    mutating func setFlags(_ f: UInt8) {
        topologyChange = f & 0x01 != 0
        proposal = f & 0x02 != 0
        role = Role(rawValue: (f >> 2) & 3) ?? .unknown
        learning = f & 0x10 != 0
        forwarding = f & 0x20 != 0
        agreement = f & 0x40 != 0
        topologyChangeAck = f & 0x80 != 0
    }
}
