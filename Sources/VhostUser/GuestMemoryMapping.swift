import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// The mmaps behind a `GuestMemory` (one per SET_MEM_TABLE region fd). Unmapped explicitly, once
/// the datapath no longer uses the memory; the region fds are closed as soon as they are mapped.
public final class GuestMemoryMapping: @unchecked Sendable {
    public let memory: GuestMemory
    private var maps: [(UnsafeMutableRawPointer, Int)]

    /// Maps every region of `table` from its fd (taking ownership of the fds: all are closed).
    public init(table: [MemoryRegionDescription], fds: [Int32]) throws(VhostUserError) {
        defer { for fd in fds { close(fd) } }
        var maps: [(UnsafeMutableRawPointer, Int)] = []
        var regions: [GuestMemory.Region] = []
        for (i, r) in table.enumerated() {
            let length = r.mmapOffset + r.size
            var err: Int32 = 0
            guard i < fds.count, length <= UInt64(Int.max), let base = tp_mmap_shared(fds[i], Int(length), &err) else {
                for (p, n) in maps { munmap(p, n) }
                throw VhostUserError("SET_MEM_TABLE: could not map region \(i) (\(length) bytes): \(String(cString: strerror(err))) (errno \(err))")
            }
            maps.append((base, Int(length)))
            regions.append(.init(guestPhysical: r.guestPhysical, userAddress: r.userAddress, size: r.size,
                                 host: base + Int(r.mmapOffset)))
        }
        self.maps = maps
        memory = GuestMemory(regions: regions)
    }

    /// Total bytes mapped.
    public var mappedBytes: Int { maps.reduce(0) { $0 + $1.1 } }

    /// Removes the mappings (idempotent). Only when nothing uses `memory` any more.
    public func unmap() {
        for (p, n) in maps { munmap(p, n) }
        maps.removeAll()
    }

    deinit { unmap() }
}
