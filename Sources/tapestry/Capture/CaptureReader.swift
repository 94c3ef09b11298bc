import CPcap
import Foundation
import HostSystem
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while a capture runs; the read loop checks it at least every 200 ms.
nonisolated(unsafe) private var captureStopRequested: sig_atomic_t = 0

/// The reading side of `tapestry capture`: takes the daemon's records off the socket, filters
/// them, and writes them to the pcap file or prints one line each.
struct CaptureReader {
    /// The largest record taken whole: the record header and a 64 KiB GSO frame with tags.
    static let bufferSize = 16 + 65536 + 64
    /// `TPCP`, native-endian, as `CaptureSession.recordMagic`.
    static let recordMagic: UInt32 = 0x5450_4350
    static let headerLength = 16

    let reader: UnixDatagramReader
    let pcap: PcapSession
    let toFile: Bool
    let limit: Int?
    /// Asked about once a second; a reason ends the capture (the port was deleted, tapestryd restarted).
    var watch: (() -> String?)? = nil

    struct Summary {
        var captured = 0
        var truncated = 0
        var error: String?
        /// Why the capture ended before its count or Ctrl-C, from `watch`.
        var ended: String?
    }

    /// Whether SIGINT or SIGTERM asked the capture to stop.
    static var stopRequested: Bool { captureStopRequested != 0 }

    /// `dirname(socket)/capture-<pid>-<n>.sock`.
    static func socketPath(beside controlSocket: String) -> String {
        let dir = (controlSocket as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "." : dir) + "/capture-\(getpid())-\(nextNumber()).sock"
    }

    nonisolated(unsafe) private static var number = 0
    private static func nextNumber() -> Int { number += 1; return number }

    /// SIGINT and SIGTERM end the loop instead of the process, so that the capture is stopped and
    /// the socket file removed.
    static func installStopHandlers() {
        captureStopRequested = 0
        signal(SIGINT) { _ in captureStopRequested = 1 }
        signal(SIGTERM) { _ in captureStopRequested = 1 }
        unblockTerminationSignals()
    }

    /// A parent may start us with SIGINT/SIGTERM blocked (threads of Dispatch block them, and
    /// posix_spawn passes the mask on); unblock them so that Ctrl-C and kill work.
    static func unblockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    func run() -> Summary {
        var summary = Summary()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: CaptureReader.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        let clock = ContinuousClock()
        var nextCheck = clock.now + .seconds(1)
        while captureStopRequested == 0 {
            if let limit, summary.captured >= limit { break }
            if let watch, clock.now >= nextCheck {
                if let reason = watch() { summary.ended = reason; return summary }
                nextCheck = clock.now + .seconds(1)
            }
            switch reader.receive(into: buffer, timeoutMilliseconds: 200) {
            case .timeout: continue
            case .failed(let e):
                summary.error = "could not read captured frames: \(String(cString: strerror(e))) (errno \(e))"
                return summary
            case .datagram(let length):
                guard length >= CaptureReader.headerLength,
                      buffer.load(fromByteOffset: 0, as: UInt32.self) == CaptureReader.recordMagic else { continue }
                if length > buffer.count { summary.truncated += 1 }
                let seconds = buffer.load(fromByteOffset: 4, as: UInt32.self)
                let micros = buffer.load(fromByteOffset: 8, as: UInt32.self)
                let outgoing = buffer.load(fromByteOffset: 12, as: UInt32.self) == 1
                let frameLength = length - CaptureReader.headerLength  // as sent, even when truncated here
                let frame = UnsafeRawBufferPointer(rebasing: buffer[CaptureReader.headerLength..<min(length, buffer.count)])
                var header = pcap.header(seconds: seconds, microseconds: micros, length: frameLength)
                header.caplen = UInt32(min(Int(header.caplen), frame.count))
                guard pcap.matches(frame, header: &header) else { continue }
                summary.captured += 1
                if toFile {
                    pcap.write(frame, header: &header)
                } else {
                    print(CaptureReader.timestamp(seconds, micros) + (outgoing ? " out " : " in  ")
                          + FrameSummary.describe(Array(frame)))
                    fflush(nil)
                }
            }
        }
        return summary
    }

    /// `HH:MM:SS.uuuuuu` in local time, as tcpdump prints.
    static func timestamp(_ seconds: UInt32, _ micros: UInt32) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let us = String(micros)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))." + String(repeating: "0", count: max(0, 6 - us.count)) + us
    }
}
