import ArgumentParser
import TapestryModel

/// The port policy options shared by `add-port` and `set-port`: rate limits, port security,
/// storm control and impairments, each with a `--no-…` that clears it.
struct PortPolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Police what the VM sends to this rate (e.g. 100mbit); over-rate frames are dropped.",
                               valueName: "rate"))
    var ingressRate: String?
    @Option(help: ArgumentHelp("The policer's burst (e.g. 256k; default 10 ms at the rate, at least 64k).", valueName: "size"))
    var ingressBurst: String?
    @Flag(help: "Remove the ingress rate limit.")
    var noIngressRate = false

    @Option(help: ArgumentHelp("Shape what the VM receives to this rate (e.g. 50mbit); frames wait, then are dropped.",
                               valueName: "rate"))
    var egressRate: String?
    @Option(help: ArgumentHelp("The shaper's burst (e.g. 128k).", valueName: "size"))
    var egressBurst: String?
    @Option(help: ArgumentHelp("The shaper's peak rate (at least --egress-rate).", valueName: "rate"))
    var egressPeak: String?
    @Flag(help: "Remove the egress rate limit.")
    var noEgressRate = false

    @Option(help: ArgumentHelp("""
        A source the VM may use: a MAC and optionally the IPv4/IPv6 addresses it may use with it (repeatable; \
        replaces the list). Frames from other sources are dropped.
        """, valueName: "mac[,ip…]"))
    var allowedAddress: [String] = []
    @Flag(help: "Remove the allowed addresses (any source again).")
    var noAllowedAddress = false

    @Flag(inversion: .prefixedNo, help: """
        Whether the port may send DHCP server messages and IPv6 router advertisements (default: yes for \
        system, vxlan and internal ports, no for VM ports).
        """)
    var trusted: Bool?

    @Option(help: ArgumentHelp("Most flooded frames a second the port may send: broadcast=N,multicast=N,unknown-unicast=N (pps).",
                               valueName: "limits"))
    var stormLimit: String?
    @Flag(help: "Remove the storm limits.")
    var noStormLimit = false

    @Option(help: ArgumentHelp("Delay frames toward the VM by this much (e.g. 20ms).", valueName: "time"))
    var delay: String?
    @Option(help: ArgumentHelp("Vary the delay by up to ± this much (e.g. 5ms).", valueName: "time"))
    var jitter: String?
    @Option(help: ArgumentHelp("Lose this share of frames (e.g. 1%).", valueName: "percent"))
    var loss: String?
    @Option(help: ArgumentHelp("Duplicate this share of frames (e.g. 0.1%).", valueName: "percent"))
    var duplicate: String?
    @Option(help: ArgumentHelp("Serialize impaired frames at this rate (e.g. 10mbit).", valueName: "rate"))
    var rate: String?
    @Option(help: ArgumentHelp("Impair frames toward the VM (out, default), from it (in) or both.", valueName: "in|out|both"))
    var impairDirection: String?
    @Option(help: ArgumentHelp("Seed for loss, duplication and jitter (the same seed gives the same run).", valueName: "n"))
    var seed: UInt64?
    @Flag(help: "Remove the delay (and jitter).") var noDelay = false
    @Flag(help: "Remove the jitter.") var noJitter = false
    @Flag(help: "Remove the loss.") var noLoss = false
    @Flag(help: "Remove the duplication.") var noDuplicate = false
    @Flag(help: "Remove the impairment rate.") var noRate = false
    @Flag(help: "Remove every impairment.") var noImpairment = false

    /// The edit these options ask for (empty when none was given), or the reason they are wrong.
    func edit(port: String) throws(ModelError) -> PortPolicyEdit {
        var e = PortPolicyEdit()
        var s = PortPolicy()
        func both(_ set: Bool, _ clear: Bool, _ option: String) throws(ModelError) {
            if set && clear { throw ModelError("--\(option) and --no-\(option) cannot be used together") }
        }
        try both(ingressRate != nil || ingressBurst != nil, noIngressRate, "ingress-rate")
        try both(egressRate != nil || egressBurst != nil || egressPeak != nil, noEgressRate, "egress-rate")
        try both(stormLimit != nil, noStormLimit, "storm-limit")
        try both(delay != nil, noDelay, "delay")
        try both(jitter != nil, noJitter, "jitter")
        try both(loss != nil, noLoss, "loss")
        try both(duplicate != nil, noDuplicate, "duplicate")
        try both(rate != nil, noRate, "rate")
        if let ingressRate { s.ingressRate = try PolicyUnits.rate(ingressRate, what: "--ingress-rate") }
        if let ingressBurst { s.ingressBurst = try PolicyUnits.size(ingressBurst, what: "--ingress-burst") }
        if let egressRate { s.egressRate = try PolicyUnits.rate(egressRate, what: "--egress-rate") }
        if let egressBurst { s.egressBurst = try PolicyUnits.size(egressBurst, what: "--egress-burst") }
        if let egressPeak { s.egressPeak = try PolicyUnits.rate(egressPeak, what: "--egress-peak") }
        s.allowedAddresses = try allowedAddress.map { a throws(ModelError) in try AllowedAddress.parse(a) }
        s.trusted = trusted
        if let stormLimit {
            (s.stormBroadcast, s.stormMulticast, s.stormUnknownUnicast) = try PolicyUnits.stormLimits(stormLimit, what: "--storm-limit")
        }
        var i = ImpairmentConfig()
        if let delay { i.delayNanos = try PolicyUnits.duration(delay, what: "--delay") }
        if let jitter { i.jitterNanos = try PolicyUnits.duration(jitter, what: "--jitter") }
        if let loss { i.lossPPM = try PolicyUnits.percent(loss, what: "--loss") }
        if let duplicate { i.duplicatePPM = try PolicyUnits.percent(duplicate, what: "--duplicate") }
        if let rate { i.rate = try PolicyUnits.rate(rate, what: "--rate") }
        if let impairDirection {
            guard let d = ImpairmentConfig.Direction(rawValue: impairDirection.lowercased()) else {
                throw ModelError("invalid --impair-direction '\(impairDirection)': must be one of in, out, both")
            }
            i.direction = d
        }
        i.seed = seed
        if i != ImpairmentConfig() { s.impairment = i }
        e.values = s
        let flags: [(Bool, PortPolicyEdit.Clear)] = [
            (noIngressRate, .ingressRate), (noEgressRate, .egressRate), (noAllowedAddress, .allowedAddress),
            (noStormLimit, .stormLimit), (noDelay, .delay), (noJitter, .jitter), (noLoss, .loss),
            (noDuplicate, .duplicate), (noRate, .rate), (noImpairment, .impairment),
        ]
        e.clear = flags.filter(\.0).map(\.1)
        return e
    }
}
