import ArgumentParser
import ControlProtocol
import Foundation

/// `tapestry events [--follow] [--format json]`.
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show what happened: ports up/down, MACs learned/moved/aged, helper restarts, config changes.",
        discussion: """
            Prints the events tapestryd still keeps, one per line (time, kind, bridge/port, detail); with \
            --format json one JSON object per line. --follow keeps printing new events until interrupted.
            """)

    /// How often `--follow` asks for new events.
    static let pollInterval: useconds_t = 200_000

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Keep printing new events as they happen.")
    var follow = false

    var context: CommandContext { CommandContext(verb: "events") }

    func run() throws {
        if follow, let target = try options.remoteTarget(context: context) {
            try RemoteVerb.run(target, ["events", "--follow", "--format", options.format.rawValue], context: context)
        }
        if follow { CaptureReader.unblockTerminationSignals() }
        var cursor: UInt64? = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        while true {
            let result = try options.call(Methods.Events.self, EventsParams(since: cursor), context: context)
            for e in result.events {
                switch options.format {
                case .json:
                    let data = (try? encoder.encode(e)) ?? Data("{}".utf8)
                    print(String(decoding: data, as: UTF8.self))
                case .table:
                    print(EventText.line(e))
                }
            }
            fflush(nil)
            guard follow else { return }
            cursor = result.next
            usleep(Events.pollInterval)
        }
    }
}

/// One event as text: `2025-01-31 12:00:00.123  mac-learned       br0/vm1  52:54:00:00:00:01 VLAN 1 on vm1`.
enum EventText {
    static func line(_ e: EventRecord) -> String {
        let place = [e.bridge, e.port].compactMap { $0 }.joined(separator: "/")
        return "\(time(e.time))  \(pad(e.kind, 17))  \(pad(place.isEmpty ? "-" : place, 16))  \(e.detail)"
    }

    static func time(_ t: Double) -> String {
        var seconds = time_t(t.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        let millis = Int((t - t.rounded(.down)) * 1000)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = String(millis)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: max(0, 3 - ms.count)) + ms
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
