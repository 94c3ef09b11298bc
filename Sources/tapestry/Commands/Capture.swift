import ArgumentParser
import ControlProtocol
import Foundation
import HostSystem

/// `tapestry capture BRIDGE [PORT] [--vlan V] [--direction in|out|both] [--filter BPF] [-c N] [-w FILE] [--nano]`.
///
/// The CLI binds a Unix datagram socket beside the control socket, asks tapestryd (`capture-start`)
/// to send copies there (see `CaptureSession`: a 16-byte record header, then the frame), filters
/// them with libpcap's BPF and writes a pcap file or one line per frame, until -c frames matched or
/// SIGINT/SIGTERM; then `capture-stop` and the counts on stderr.
struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture", abstract: "Capture a port's or a VLAN's frames, like tcpdump.",
        discussion: """
            With PORT, frames as seen on that port (--direction: in = received, out = sent, both). With --vlan \
            and no PORT, every frame of that VLAN as it enters the bridge, tagged. --filter takes tcpdump's \
            filter syntax (compiled by libpcap). -w writes a pcap file that Wireshark and tcpdump -r read; \
            without it each frame is printed on one line. Stops after -c frames or on Ctrl-C.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "The port to capture (leave out to capture a whole --vlan).")
    var port: String?

    @Option(help: ArgumentHelp("Only frames of this VLAN (alone: the whole VLAN, tagged).", valueName: "vlan"))
    var vlan: String?

    @Option(help: ArgumentHelp("Frames received (in), sent (out) or both by the port (default both).",
                               valueName: "in|out|both"))
    var direction: String?

    @Option(help: ArgumentHelp("A BPF filter in tcpdump's syntax, e.g. 'icmp or arp'.", valueName: "expression"))
    var filter: String?

    @Option(name: [.customShort("c"), .customLong("count")], help: ArgumentHelp("Stop after this many frames.", valueName: "n"))
    var count: Int?

    @Option(name: [.customShort("w"), .customLong("write")], help: ArgumentHelp("Write a pcap file (- for stdout).", valueName: "file"))
    var write: String?

    @Flag(help: "Write nanosecond-precision pcap timestamps.")
    var nano = false

    @Flag(help: "When the port is deleted or tapestryd restarts, wait for it to come back and capture again (default: end with a message).")
    var follow = false

    var context: CommandContext { CommandContext(verb: "capture", object: port ?? bridge) }

    /// This capture as arguments for the remote host (`--connect`): a pcap file is written here,
    /// so the remote side writes it to stdout.
    var remoteWords: [String] {
        var w = ["capture", bridge] + (port.map { [$0] } ?? [])
        if let vlan { w += ["--vlan", vlan] }
        if let direction { w += ["--direction", direction] }
        if let filter { w += ["--filter", filter] }
        if let count { w += ["-c", String(count)] }
        if write != nil { w += ["-w", "-"] }
        if nano { w.append("--nano") }
        if follow { w.append("--follow") }
        return w
    }

    struct Plan {
        var params: CaptureStartParams
        var pcap: PcapSession
    }

    /// Checks every argument and compiles the filter; nothing is started.
    func makePlan(readerPath: String = "") throws(CLIError) -> Plan {
        let bridgeName = try context.interfaceName(bridge, what: "bridge name")
        let portName = try port.map { text throws(CLIError) in try context.interfaceName(text, what: "port name") }
        let vlanID = try context.vlan(vlan)
        let dir = try context.choice(direction, option: "direction", among: [CaptureStartParams.Direction.`in`, .out, .both]) ?? .both
        if portName == nil {
            guard vlanID != nil else { throw context.refuse("name a port or a --vlan to capture") }
            if dir == .out { throw context.refuse("a VLAN capture sees frames as they enter the bridge; --direction out needs a port") }
        }
        if let count, count <= 0 { throw context.refuse("-c must be a positive number, not \(count)") }
        if nano && write == nil { throw context.refuse("--nano applies to pcap files (-w) only") }
        let pcap: PcapSession
        do { pcap = try PcapSession(filter: filter, nanosecond: nano) } catch { throw context.refuse(error.description) }
        let params = CaptureStartParams(bridge: bridgeName, port: portName, vlan: vlanID,
                                        direction: portName == nil ? .in : dir, readerPath: readerPath)
        return Plan(params: params, pcap: pcap)
    }

    func validate() throws { _ = try makePlan() }

    func run() throws {
        if let target = try options.remoteTarget(context: context) {
            try RemoteVerb.run(target, remoteWords, outputFile: write, context: context)
        }
        let readerPath = CaptureReader.socketPath(beside: options.socketPath)
        let plan = try makePlan(readerPath: readerPath)
        if let write {
            do { try plan.pcap.openFile(write) } catch { throw context.refuse(error.description) }
        }
        let reader: UnixDatagramReader
        do { reader = try UnixDatagramReader(path: readerPath) } catch {
            throw context.refuse(error.description)
        }
        defer { reader.close() }
        CaptureReader.installStopHandlers()
        let socketPath = options.socketPath
        let watchOf = { (pid: Int32) in CaptureWatch(socketPath: socketPath, bridge: plan.params.bridge, port: plan.params.port, daemonPID: pid) }
        var captured = 0, truncated = 0, stoppedAny = false
        var delivered: UInt64 = 0, dropped: UInt64 = 0
        var ended: String? = nil, failure: String? = nil
        while true {
            let pid = CaptureWatch.daemonPID(socketPath: socketPath) ?? -1
            let started = try options.call(Methods.CaptureStart.self, plan.params, context: context)
            let watch = watchOf(pid)
            let summary = CaptureReader(reader: reader, pcap: plan.pcap, toFile: write != nil,
                                        limit: count.map { $0 - captured }, watch: watch.check).run()
            captured += summary.captured
            truncated += summary.truncated
            failure = summary.error
            ended = summary.ended
            if let stopped = try? options.call(Methods.CaptureStop.self, CaptureStopParams(id: started.id), context: context) {
                delivered += stopped.delivered; dropped += stopped.dropped; stoppedAny = true
            }
            guard let reason = ended, follow, failure == nil else { break }
            // --follow: wait for the daemon, the bridge and the port, then start again.
            say("capture: \(reason); waiting for it to come back (--follow)")
            while !CaptureReader.stopRequested && watchOf(pid).missing() != nil { usleep(300_000) }
            if CaptureReader.stopRequested { ended = nil; break }
            say("capture: \(plan.params.port ?? "VLAN of \(plan.params.bridge)") is back; capturing again")
        }
        plan.pcap.closeFile()
        var lines = ["\(captured) frame\(captured == 1 ? "" : "s") captured"]
        if stoppedAny {
            lines.append("\(delivered) frame\(delivered == 1 ? "" : "s") received from tapestryd")
            lines.append("\(dropped) frame\(dropped == 1 ? "" : "s") dropped by tapestryd (reader too slow)")
        }
        if truncated > 0 { lines.append("\(truncated) frames truncated to \(CaptureReader.bufferSize) bytes") }
        say(lines.joined(separator: "\n"))
        if let failure { throw context.refuse(failure) }
        if let ended { throw context.refuse("capture ended: \(ended)") }
    }

    private func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
