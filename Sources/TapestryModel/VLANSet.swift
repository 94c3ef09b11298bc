/// A set of VLAN ids (1...4094) as a 4096-bit bitmap; written as ranges like `10,20-22`.
public struct VLANSet: Hashable, Sendable, CustomStringConvertible, Codable {
    private var words: [UInt64]

    public init() { words = Array(repeating: 0, count: 64) }

    /// Every VLAN 1...4094.
    public static let all: VLANSet = {
        var s = VLANSet()
        for v in VLANID.valid { s.insert(v) }
        return s
    }()

    /// The 64 words of the bitmap (bit `v & 63` of word `v >> 6` is VLAN `v`).
    public var bitmapWords: [UInt64] { words }

    public init<S: Sequence>(_ ids: S) where S.Element == VLANID {
        self.init()
        for id in ids { insert(id.value) }
    }

    /// Adds `vid`; values outside 1...4094 are ignored.
    public mutating func insert(_ vid: UInt16) {
        guard VLANID.valid.contains(vid) else { return }
        words[Int(vid >> 6)] |= 1 << UInt64(vid & 63)
    }
    public mutating func insert(_ vid: VLANID) { insert(vid.value) }

    @inline(__always)
    public func contains(_ vid: UInt16) -> Bool {
        vid < 4096 && words[Int(vid >> 6)] & (1 << UInt64(vid & 63)) != 0
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isAll: Bool { self == VLANSet.all }

    /// The members in ascending order.
    public var members: [UInt16] { (1...4094).filter { contains(UInt16($0)) }.map { UInt16($0) } }

    /// Parses `10,20-22` (ranges inclusive) or `all`; throws naming the bad part.
    public static func parse(_ text: String) throws(ModelError) -> VLANSet {
        if text.trimmingSpaces.lowercased() == "all" { return .all }
        var set = VLANSet()
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for item in items {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2 else {
                throw ModelError("invalid VLAN list '\(text)': '\(item)' is not a VLAN or a range")
            }
            let lo = try VLANID.parse(String(bounds[0]))
            let hi = bounds.count == 2 ? try VLANID.parse(String(bounds[1])) : lo
            guard lo <= hi else { throw ModelError("invalid VLAN list '\(text)': range '\(item)' is reversed") }
            for v in lo.value...hi.value { set.insert(v) }
        }
        return set
    }

    /// Compact range text: `1-4094`, `10,20-22`.
    public var description: String {
        var parts: [String] = []
        var start: UInt16? = nil
        var prev: UInt16 = 0
        for v in members {
            if let s = start, v == prev + 1 { prev = v; _ = s; continue }
            if let s = start { parts.append(s == prev ? "\(s)" : "\(s)-\(prev)") }
            start = v; prev = v
        }
        if let s = start { parts.append(s == prev ? "\(s)" : "\(s)-\(prev)") }
        return parts.joined(separator: ",")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        do { self = try VLANSet.parse(s) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.message)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
