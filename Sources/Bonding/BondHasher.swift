/// How a bond spreads frames over its members.
public enum BondMode: String, Sendable, CaseIterable {
    /// One member carries everything; another takes over when it fails.
    case activeBackup = "active-backup"
    /// By source MAC and VLAN (a VM's frames always leave by the same member; no LACP needed).
    case balanceSLB = "balance-slb"
    /// By the L3/L4 flow (addresses, protocol, ports); frames of one flow always leave by the same member.
    case balanceTCP = "balance-tcp"
}

/// Maps frames to bond members through 256 hash buckets (as Open vSwitch does). When members
/// fail or return, only the buckets of the failed member move (flows on healthy members stay
/// where they are). Pure.
public struct BondHasher: Sendable {
    public static let bucketCount = 256
    public let mode: BondMode
    /// Member index per bucket (-1: no member enabled).
    public private(set) var buckets: [Int] = Array(repeating: -1, count: BondHasher.bucketCount)
    /// active-backup: the member in use.
    public private(set) var activeMember: Int = -1

    public init(mode: BondMode) { self.mode = mode }

    /// Re-assigns buckets to `enabled` member indices: buckets on a member still enabled stay; the rest
    /// go to the least loaded enabled members; a member with less than its share (one that just
    /// joined) then takes buckets from the members above their share.
    public mutating func setEnabled(_ enabled: [Int]) {
        let set = Set(enabled)
        if !set.contains(activeMember) { activeMember = enabled.min() ?? -1 }
        guard !enabled.isEmpty else { buckets = Array(repeating: -1, count: BondHasher.bucketCount); return }
        var load = Dictionary(uniqueKeysWithValues: enabled.map { ($0, 0) })
        for b in buckets where set.contains(b) { load[b, default: 0] += 1 }
        for i in buckets.indices where !set.contains(buckets[i]) {
            let target = enabled.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) } ?? enabled[0]
            buckets[i] = target
            load[target, default: 0] += 1
        }
        // A member that joins takes its share from the most loaded ones (only those buckets move).
        let fair = BondHasher.bucketCount / enabled.count
        for newcomer in enabled where (load[newcomer] ?? 0) < fair {
            for i in buckets.indices where (load[newcomer] ?? 0) < fair {
                let owner = buckets[i]
                guard owner != newcomer, (load[owner] ?? 0) > fair else { continue }
                buckets[i] = newcomer
                load[owner, default: 0] -= 1
                load[newcomer, default: 0] += 1
            }
        }
    }

    /// The member a frame (from its Ethernet header) leaves by, or -1 when none is enabled.
    public func member(for frame: UnsafeRawBufferPointer) -> Int {
        if mode == .activeBackup { return activeMember }
        return buckets[Int(BondHasher.hash(frame, mode: mode) % UInt32(BondHasher.bucketCount))]
    }

    /// The bucket hash: source MAC and VLAN (balance-slb) or the L3/L4 5-tuple (balance-tcp; MACs when not IP).
    public static func hash(_ f: UnsafeRawBufferPointer, mode: BondMode) -> UInt32 {
        guard f.count >= 14 else { return 0 }
        var h: UInt32 = 2166136261
        func mix(_ b: UInt8) { h = (h ^ UInt32(b)) &* 16777619 }
        var type = Int(f[12]) << 8 | Int(f[13])
        var l3 = 14
        var vlan: UInt16 = 0
        if type == 0x8100 && f.count >= 18 {
            vlan = (UInt16(f[14]) << 8 | UInt16(f[15])) & 0x0FFF
            type = Int(f[16]) << 8 | Int(f[17])
            l3 = 18
        }
        if mode == .balanceTCP {
            if type == 0x0800 && f.count >= l3 + 20 {
                let ihl = Int(f[l3] & 0x0F) * 4
                let proto = f[l3 + 9]
                for i in 12..<20 { mix(f[l3 + i]) }
                mix(proto)
                let fragment = (UInt16(f[l3 + 6]) << 8 | UInt16(f[l3 + 7])) & 0x3FFF != 0
                if (proto == 6 || proto == 17) && !fragment && f.count >= l3 + ihl + 4 { for i in 0..<4 { mix(f[l3 + ihl + i]) } }
                return h
            }
            if type == 0x86DD && f.count >= l3 + 40 {
                let next = f[l3 + 6]
                for i in 8..<40 { mix(f[l3 + i]) }
                mix(next)
                if (next == 6 || next == 17) && f.count >= l3 + 44 { for i in 0..<4 { mix(f[l3 + 40 + i]) } }
                return h
            }
            for i in 0..<12 { mix(f[i]) }
            return h
        }
        for i in 6..<12 { mix(f[i]) }
        mix(UInt8(vlan >> 8)); mix(UInt8(vlan & 0xFF))
        return h
    }
}
