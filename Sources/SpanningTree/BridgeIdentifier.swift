/// A bridge identifier (802.1D-2004 9.2.5): 4 bits of priority, 12 bits of system ID extension
/// (0 here) and the bridge's MAC address, compared as one 64-bit number (lower is better).
public struct BridgeIdentifier: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    public init(value: UInt64) { self.value = value }

    public init(priority: UInt16, address: [UInt8]) {
        var v = UInt64(priority) << 48
        for (i, b) in address.prefix(6).enumerated() { v |= UInt64(b) << UInt64(8 * (5 - i)) }
        value = v
    }

    public var priority: UInt16 { UInt16(truncatingIfNeeded: value >> 48) }
    public var address: UInt64 { value & 0xFFFF_FFFF_FFFF }

    public static func < (a: BridgeIdentifier, b: BridgeIdentifier) -> Bool { a.value < b.value }

    /// `8000.020000000001`, as `ovs-appctl rstp/show` and the kernel print it.
    public var description: String {
        let p = String(priority, radix: 16)
        let a = String(address, radix: 16)
        return String(repeating: "0", count: 4 - p.count) + p + "." + String(repeating: "0", count: 12 - a.count) + a
    }
}

/// A port identifier (802.1D-2004 9.2.7): 4 bits of priority and a 12-bit port number.
public struct PortIdentifier: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let value: UInt16
    public init(value: UInt16) { self.value = value }
    public init(priority: UInt8, number: Int) { value = UInt16(priority & 0xF0) << 8 | UInt16(number & 0xFFF) }
    public var number: Int { Int(value & 0xFFF) }
    public static func < (a: PortIdentifier, b: PortIdentifier) -> Bool { a.value < b.value }
    public var description: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}
