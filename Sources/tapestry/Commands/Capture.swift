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
        let started = try options.call(Methods.CaptureStart.self, plan.params, context: context)
        let summary = CaptureReader(reader: reader, pcap: plan.pcap, toFile: write != nil, limit: count).run()
        plan.pcap.closeFile()
        let stopped = try? options.call(Methods.CaptureStop.self, CaptureStopParams(id: started.id), context: context)
        var lines = ["\(summary.captured) frame\(summary.captured == 1 ? "" : "s") captured"]
        if let stopped {
            lines.append("\(stopped.delivered) frame\(stopped.delivered == 1 ? "" : "s") received from tapestryd")
            lines.append("\(stopped.dropped) frame\(stopped.dropped == 1 ? "" : "s") dropped by tapestryd (reader too slow)")
        }
        if summary.truncated > 0 { lines.append("\(summary.truncated) frames truncated to \(CaptureReader.bufferSize) bytes") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        if let error = summary.error { throw context.refuse(error) }
    }
}
