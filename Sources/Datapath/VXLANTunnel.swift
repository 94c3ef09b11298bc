import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// The UDP sockets of one VXLAN endpoint (local address, UDP port), shared by every vxlan port
/// that uses it: one bound to the VXLAN port for receiving, and a few bound to ephemeral
/// ports for sending, picked by a hash of the inner flow so that the outer source port varies
/// per flow as Linux's vxlan does (the underlay can spread flows).
public final class VXLANTunnel: Sendable {
    public static let senderCount = 8

    public let local: UInt32
    public let port: UInt16
    public let receiveFD: Int32
    public let sendFDs: [Int32]
    /// Drops that belong to no port (bad header, unknown VNI).
    public let counters = PortCounters()

    public init(local: UInt32, port: UInt16) throws(DatapathError) {
        let rx = tp_udp_open(local, port)
        guard rx >= 0 else {
            throw DatapathError("could not listen on UDP port \(port) for VXLAN: \(String(cString: strerror(-rx)))")
        }
        // Receive offload: a burst of one flow arrives in one read and is merged back into one super-frame.
        _ = tp_udp_enable_gro(rx)
        var tx: [Int32] = []
        for _ in 0..<VXLANTunnel.senderCount {
            let fd = tp_udp_open(local, 0)
            if fd >= 0 { tx.append(fd) }
        }
        if tx.isEmpty { tx = [rx] }
        self.local = local; self.port = port; receiveFD = rx; sendFDs = tx
    }

    /// Closes the sockets; only after the datapath dropped every port using them.
    public func close() {
        for fd in Set(sendFDs + [receiveFD]) { Glibc.close(fd) }
    }
}
