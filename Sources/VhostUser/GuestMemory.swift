/// The guest's memory as the back-end sees it: up to eight regions, each a guest-physical range,
/// the front-end's user-address range and where the bytes are mapped here. Every translation is
/// bounds-checked: an address range not wholly inside one region gives nil, never a pointer.
public final class GuestMemory: @unchecked Sendable {
    public static let maxRegions = 8

    /// One region with the host address of its first byte.
    public struct Region: @unchecked Sendable {
        public let guestPhysical: UInt64
        public let userAddress: UInt64
        public let size: UInt64
        public let host: UnsafeMutableRawPointer

        public init(guestPhysical: UInt64, userAddress: UInt64, size: UInt64, host: UnsafeMutableRawPointer) {
            self.guestPhysical = guestPhysical; self.userAddress = userAddress; self.size = size; self.host = host
        }
    }

    public let regions: [Region]
    /// `regions` in memory this object owns: the per-descriptor translation walks it without
    /// touching an array (no retain, release or bounds check per buffer).
    private let table: UnsafeMutablePointer<Region>
    private let count: Int

    public init(regions: [Region]) {
        self.regions = regions
        count = regions.count
        table = .allocate(capacity: max(regions.count, 1))
        table.initialize(from: regions, count: regions.count)
    }

    deinit { table.deinitialize(count: count); table.deallocate() }

    /// The host pointer to guest-physical `[address, address + length)`, or nil when that range is
    /// not inside one region.
    @inline(__always)
    public func translate(guest address: UInt64, length: UInt64) -> UnsafeMutableRawPointer? {
        for i in 0..<count {
            let r = table[i]
            let off = address &- r.guestPhysical
            if address >= r.guestPhysical && off < r.size && length <= r.size - off {
                return r.host + Int(off)
            }
        }
        return nil
    }

    /// The host pointer to the front-end user-address range (vring addresses use these), or nil.
    public func translate(user address: UInt64, length: UInt64) -> UnsafeMutableRawPointer? {
        for r in regions {
            let off = address &- r.userAddress
            if address >= r.userAddress && off < r.size && length <= r.size - off {
                return r.host + Int(off)
            }
        }
        return nil
    }
}
