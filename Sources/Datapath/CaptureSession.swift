import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// A live capture (`tapestry capture`): copies of the selected frames go, one datagram each, to
/// the reader's Unix socket as a 16-byte record header (four native-endian u32: the magic
/// `TPCP`, seconds, microseconds, direction 0 = in / 1 = out) followed by the frame. The datapath never waits for the reader:
/// a copy that does not fit in the socket buffer is dropped and counted. The session ends when
/// the reader goes away.
public final class CaptureSession: @unchecked Sendable {
    public enum Direction: UInt8, Sendable { case incoming = 0, outgoing = 1 }

    public static let recordMagic: UInt32 = 0x5450_4350  // "TPCP"
    public static let headerLength = 16

    public let id: Int
    public let bridge: String
    /// The port captured (nil: every port, with `vlan` set).
    public let port: String?
    /// Only frames of this VLAN (0: any).
    public let vlan: UInt16
    public let incoming: Bool
    public let outgoing: Bool
    let fd: Int32
    private let counts: UnsafeMutablePointer<UInt64>  // delivered, dropped, closed flag

    /// Connects to the reader's socket at `path`.
    public init(id: Int, bridge: String, port: String?, vlan: UInt16, incoming: Bool, outgoing: Bool, readerPath: String) throws(DatapathError) {
        let s = tp_unix_dgram_connect(readerPath)
        guard s >= 0 else { throw DatapathError("could not connect to capture reader \(readerPath): \(String(cString: strerror(-s)))") }
        fd = s
        self.id = id; self.bridge = bridge; self.port = port; self.vlan = vlan
        self.incoming = incoming; self.outgoing = outgoing
        counts = .allocate(capacity: 3)
        counts.initialize(repeating: 0, count: 3)
    }

    deinit {
        close(fd)
        counts.deallocate()
    }

    public var delivered: UInt64 { tp_counter_load(counts) }
    public var dropped: UInt64 { tp_counter_load(counts + 1) }
    /// True once the reader went away.
    public var isClosed: Bool { tp_counter_load(counts + 2) != 0 }

    /// Sends one copy; called on any datapath thread (counts are atomic adds).
    @inline(__always)
    func deliver(_ frame: UnsafeRawBufferPointer, direction: Direction, edit: Int32, tci: UInt16) {
        var header = (CaptureSession.recordMagic, UInt32(0), UInt32(0), UInt32(direction.rawValue))
        withUnsafeMutablePointer(to: &header.1) { sec in
            withUnsafeMutablePointer(to: &header.2) { usec in tp_realtime(sec, usec) }
        }
        let r = withUnsafeBytes(of: &header) { h in
            tp_send_prefixed(fd, h.baseAddress, CaptureSession.headerLength,
                             frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count, edit, tci)
        }
        if r >= 0 {
            tp_counter_add_shared(counts, 1)
        } else if -r == Int(EAGAIN) || -r == Int(ENOBUFS) || -r == Int(EMSGSIZE) {
            tp_counter_add_shared(counts + 1, 1)
        } else {
            tp_counter_add_shared(counts + 2, 1)
        }
    }
}
