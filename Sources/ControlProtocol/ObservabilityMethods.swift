import TapestryModel

/// Methods for seeing what the switch does: mirrors, traces, captures, events.
extension Methods {
    public enum MirrorAdd: RPCMethod {
        public typealias Params = MirrorAddParams
        public typealias Result = Empty
        public static let name = "mirror-add"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum MirrorDelete: RPCMethod {
        public typealias Params = MirrorDeleteParams
        public typealias Result = Empty
        public static let name = "mirror-del"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum MirrorList: RPCMethod {
        public typealias Params = ShowParams
        public typealias Result = MirrorListResult
        public static let name = "mirror-list"
        public static let service = ControlService.observability
    }
    public enum Trace: RPCMethod {
        public typealias Params = TraceParams
        public typealias Result = TraceResult
        public static let name = "trace"
        public static let service = ControlService.observability
    }
    public enum CaptureStart: RPCMethod {
        public typealias Params = CaptureStartParams
        public typealias Result = CaptureStartResult
        public static let name = "capture-start"
        public static let service = ControlService.observability
    }
    public enum CaptureStop: RPCMethod {
        public typealias Params = CaptureStopParams
        public typealias Result = CaptureStopResult
        public static let name = "capture-stop"
        public static let service = ControlService.observability
    }
    public enum Events: RPCMethod {
        public typealias Params = EventsParams
        public typealias Result = EventsResult
        public static let name = "events"
        public static let service = ControlService.observability
    }
}

/// `mirror-add BRIDGE NAME --select-all|--select-port P,Q|--select-vlan V --output-port O`.
public struct MirrorAddParams: Codable, Sendable {
    public var bridge: String
    public var mirror: MirrorConfig
    public init(bridge: String, mirror: MirrorConfig) { self.bridge = bridge; self.mirror = mirror }
}

/// `mirror-del BRIDGE NAME [--if-exists]`.
public struct MirrorDeleteParams: Codable, Sendable {
    public var bridge: String
    public var name: String
    public var ifExists: Bool
    public init(bridge: String, name: String, ifExists: Bool = false) { self.bridge = bridge; self.name = name; self.ifExists = ifExists }
}

/// `mirror-list BRIDGE`: the mirrors and how many copies each output port sent.
public struct MirrorListResult: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var mirror: MirrorConfig
        public var outputTxPackets: UInt64
        public init(mirror: MirrorConfig, outputTxPackets: UInt64) { self.mirror = mirror; self.outputTxPackets = outputTxPackets }
    }
    public var bridge: String
    public var mirrors: [Entry]
    public init(bridge: String, mirrors: [Entry]) { self.bridge = bridge; self.mirrors = mirrors }
}

/// `trace BRIDGE --in-port P --src MAC --dst MAC [--vlan V] [--remote IP]`: a synthetic frame
/// (tagged with `vlan` when given) through the real decision code, without learning.
public struct TraceParams: Codable, Sendable {
    public var bridge: String
    public var inPort: String
    public var source: MACAddress
    public var destination: MACAddress
    public var vlan: VLANID?
    /// When set, the frame is an ARP request (from `source`, sender IP `arpSender`) for this IP.
    public var arpTarget: IPv4Address?
    /// The ARP request's sender IP (default 192.0.2.1).
    public var arpSender: IPv4Address?
    public init(bridge: String, inPort: String, source: MACAddress, destination: MACAddress, vlan: VLANID? = nil,
                arpTarget: IPv4Address? = nil, arpSender: IPv4Address? = nil) {
        self.bridge = bridge; self.inPort = inPort; self.source = source; self.destination = destination; self.vlan = vlan
        self.arpTarget = arpTarget; self.arpSender = arpSender
    }
}

/// What the switch would do with the traced frame, step by step.
public struct TraceResult: Codable, Sendable {
    /// One output of the frame.
    public struct Output: Codable, Sendable, Equatable {
        public var port: String
        /// `untagged`, `tagged N`, and for tunnels where it goes.
        public var tagging: String
        /// For vxlan ports: the VNI and the remotes the frame is sent to.
        public var vni: Int?
        public var remotes: [IPAddress]?
        public init(port: String, tagging: String, vni: Int? = nil, remotes: [IPAddress]? = nil) {
            self.port = port; self.tagging = tagging; self.vni = vni; self.remotes = remotes
        }
    }
    public var steps: [String]
    /// `drop`, `unicast` or `flood`.
    public var action: String
    public var dropReason: String?
    public var vlan: VLANID?
    public var outputs: [Output]
    public var mirroredTo: [String]
    public init(steps: [String], action: String, dropReason: String?, vlan: VLANID?, outputs: [Output], mirroredTo: [String]) {
        self.steps = steps; self.action = action; self.dropReason = dropReason; self.vlan = vlan
        self.outputs = outputs; self.mirroredTo = mirroredTo
    }
}

/// `capture`: what to copy and where the reader's Unix datagram socket is.
public struct CaptureStartParams: Codable, Sendable {
    public enum Direction: String, Codable, Sendable { case `in`, out, both }
    public var bridge: String
    /// The port to capture; nil to capture a whole VLAN.
    public var port: String?
    public var vlan: VLANID?
    public var direction: Direction
    /// The reader's socket (AF_UNIX, SOCK_DGRAM), bound before the call.
    public var readerPath: String
    public init(bridge: String, port: String?, vlan: VLANID?, direction: Direction, readerPath: String) {
        self.bridge = bridge; self.port = port; self.vlan = vlan; self.direction = direction; self.readerPath = readerPath
    }
}

public struct CaptureStartResult: Codable, Sendable {
    public var id: Int
    public init(id: Int) { self.id = id }
}

public struct CaptureStopParams: Codable, Sendable {
    public var id: Int
    public init(id: Int) { self.id = id }
}

/// How many copies a capture delivered and dropped (reader too slow).
public struct CaptureStopResult: Codable, Sendable {
    public var delivered: UInt64
    public var dropped: UInt64
    public init(delivered: UInt64, dropped: UInt64) { self.delivered = delivered; self.dropped = dropped }
}

/// `events [--follow]`: events after cursor `since` (nil: the ones still kept).
public struct EventsParams: Codable, Sendable {
    public var since: UInt64?
    public init(since: UInt64? = nil) { self.since = since }
}

/// One event: `kind` is e.g. `mac-learned`, `mac-moved`, `mac-aged`, `port-added`, `port-removed`,
/// `port-error`, `config-changed`, `helper-restarted`.
public struct EventRecord: Codable, Sendable, Equatable {
    public var sequence: UInt64
    /// Unix time in seconds (fractional).
    public var time: Double
    public var kind: String
    public var bridge: String?
    public var port: String?
    public var detail: String
    public init(sequence: UInt64, time: Double, kind: String, bridge: String?, port: String?, detail: String) {
        self.sequence = sequence; self.time = time; self.kind = kind; self.bridge = bridge; self.port = port; self.detail = detail
    }
}

public struct EventsResult: Codable, Sendable {
    public var events: [EventRecord]
    /// Pass as `since` to get only newer events.
    public var next: UInt64
    public init(events: [EventRecord], next: UInt64) { self.events = events; self.next = next }
}
