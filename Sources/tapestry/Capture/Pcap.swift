import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// libpcap for `tapestry capture`: a BPF filter compiled for Ethernet frames and applied to each
/// copy the daemon sends, and the pcap file those frames go to. Both sit on one "dead" pcap handle
/// (no live capture: tapestryd delivers the frames).
final class PcapSession {
    /// The snapshot length of the handle and of the file.
    static let snapLength: Int32 = 65535

    private let handle: OpaquePointer
    private var program = bpf_program()
    private var hasFilter = false
    private var dumper: OpaquePointer?
    let nanosecond: Bool

    /// Compiles `filter` (nil or blank: every frame). Throws libpcap's message for a bad filter.
    init(filter: String?, nanosecond: Bool) throws(PcapError) {
        self.nanosecond = nanosecond
        let precision = nanosecond ? UInt32(PCAP_TSTAMP_PRECISION_NANO) : UInt32(PCAP_TSTAMP_PRECISION_MICRO)
        guard let h = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PcapSession.snapLength, precision) else {
            throw PcapError("libpcap could not open a handle")
        }
        handle = h
        if let filter, !filter.allSatisfy(\.isWhitespace) {
            // PCAP_NETMASK_UNKNOWN: filters with `ip broadcast` then fail, as with tcpdump on an interface without an address.
            guard pcap_compile(h, &program, filter, 1, 0xFFFF_FFFF) == 0 else {
                let message = String(cString: pcap_geterr(h))
                // deinit closes the handle.
                throw PcapError("bad filter '\(filter)': \(message)")
            }
            hasFilter = true
        }
    }

    deinit {
        closeFile()
        if hasFilter { pcap_freecode(&program) }
        pcap_close(handle)
    }

    /// Opens the pcap file at `path` (`-` for standard output), replacing what is there.
    func openFile(_ path: String) throws(PcapError) {
        guard let d = pcap_dump_open(handle, path) else {
            throw PcapError("could not write \(path): \(String(cString: pcap_geterr(handle)))")
        }
        dumper = d
    }

    /// Whether `frame` passes the filter.
    func matches(_ frame: UnsafeRawBufferPointer, header: inout pcap_pkthdr) -> Bool {
        guard hasFilter else { return true }
        return pcap_offline_filter(&program, &header, frame.baseAddress!.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// The record header of a frame of `length` bytes captured at `seconds` + `microseconds`.
    func header(seconds: UInt32, microseconds: UInt32, length: Int) -> pcap_pkthdr {
        var h = pcap_pkthdr()
        h.ts.tv_sec = Int(seconds)
        // A nanosecond file keeps nanoseconds in the same field.
        h.ts.tv_usec = nanosecond ? Int(microseconds) * 1000 : Int(microseconds)
        h.caplen = UInt32(min(length, Int(PcapSession.snapLength)))
        h.len = UInt32(length)
        return h
    }

    /// Appends one frame to the file and flushes it, so that the file is readable at any moment.
    func write(_ frame: UnsafeRawBufferPointer, header: inout pcap_pkthdr) {
        guard let dumper else { return }
        let user = UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self)
        pcap_dump(user, &header, frame.baseAddress!.assumingMemoryBound(to: UInt8.self))
        pcap_dump_flush(dumper)
    }

    func closeFile() {
        if let dumper { pcap_dump_close(dumper) }
        dumper = nil
    }
}

/// A libpcap failure, worded for the user.
struct PcapError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
