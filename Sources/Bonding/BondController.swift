/// One bond's control logic on an injected clock (ms): each member's carrier with the up/down delays,
/// LACP when it runs, and from both the members that carry traffic (enabled) and the hash buckets
/// that map flows to them. Pure and single-threaded: the owner feeds carrier changes, received
/// LACPDUs and time, and takes the LACPDUs to send, the events and (when `changed`) the new table.
///
/// A member is enabled when its carrier has been up for `updelay` ms (down for `downdelay` ms
/// disables it) and, with LACP on, when it is collecting and distributing in the aggregate. With LACP
/// on and no member negotiated, nothing is enabled (as Open vSwitch without lacp-fallback-ab).
public final class BondController {
    /// Something that happened to a member, for the event log.
    public struct Event: Sendable, Equatable {
        public let member: String
        /// `bond-member-up`, `bond-member-down`, `lacp-state`.
        public let kind: String
        public let detail: String
    }

    public let mode: BondMode
    public let lacp: LACPAggregator?
    public let updelay: Int64
    public let downdelay: Int64
    public let names: [String]
    /// What the carrier is (as reported) and what the bond uses after the delays.
    public private(set) var carrier: [Bool]
    public private(set) var linkUsable: [Bool]
    /// Since when the carrier has differed from `linkUsable` (nil: they agree).
    private var pendingSince: [Int64?]
    public private(set) var enabled: [Bool]
    public private(set) var hasher: BondHasher
    /// Whether `enabled`/`hasher` changed since `takeChanged()`.
    private var changed = true
    private var events: [Event] = []
    private var lastLACP: [String] = []
    public private(set) var now: Int64

    /// `lacp`: nil runs no LACP. Members start with their carrier as given, usable at once.
    public init(mode: BondMode, members: [String], carrier: [Bool], lacp: LACPAggregator?, updelay: Int64, downdelay: Int64, now: Int64) {
        precondition(members.count == carrier.count, "one carrier per member")
        self.mode = mode; self.names = members; self.lacp = lacp; self.updelay = updelay; self.downdelay = downdelay; self.now = now
        self.carrier = carrier
        linkUsable = carrier
        pendingSince = Array(repeating: nil, count: members.count)
        enabled = Array(repeating: false, count: members.count)
        hasher = BondHasher(mode: mode)
        if let lacp {
            for (i, m) in members.enumerated() { lacp.addMember(m, linkUp: carrier[i]) }
        }
        lastLACP = members.indices.map { lacpSummary($0) }
        recompute()
        events = []  // the starting state is no change
        changed = true
    }

    /// The member index of `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The member's carrier as the link monitor reports it.
    public func setCarrier(_ i: Int, up: Bool) {
        guard names.indices.contains(i), carrier[i] != up else { return }
        carrier[i] = up
        pendingSince[i] = carrier[i] == linkUsable[i] ? nil : now
        settleLinks()
    }

    /// A slow-protocols frame received on member `i`.
    public func receive(_ i: Int, frame: UnsafeRawBufferPointer) {
        guard let lacp else { return }
        lacp.receive(i, frame: frame)
        recompute()
    }

    public func advance(to t: Int64) {
        guard t >= now else { return }
        now = t
        settleLinks()
        lacp?.advance(to: t)
        recompute()
    }

    /// LACPDUs to send, by member index.
    public func takeFrames() -> [(member: Int, frame: [UInt8])] { lacp?.takeFrames() ?? [] }

    public func takeEvents() -> [Event] {
        let e = events
        events = []
        return e
    }

    /// Whether the enabled members or buckets changed since the last call (true once at start).
    public func takeChanged() -> Bool {
        let c = changed
        changed = false
        return c
    }

    /// The member a frame leaves by (-1: none), as the datapath computes it from the same table.
    public func member(for frame: UnsafeRawBufferPointer) -> Int { hasher.member(for: frame) }

    // MARK: -

    private func settleLinks() {
        var moved = false
        for i in names.indices {
            guard let since = pendingSince[i] else { continue }
            let delay = carrier[i] ? updelay : downdelay
            guard now - since >= delay else { continue }
            linkUsable[i] = carrier[i]
            pendingSince[i] = nil
            lacp?.setLink(i, up: carrier[i])
            moved = true
        }
        if moved { recompute() }
    }

    private func recompute() {
        var next = names.indices.map { linkUsable[$0] }
        if let lacp {
            let distributing = Set(lacp.activeMembers)
            next = names.indices.map { linkUsable[$0] && distributing.contains($0) }
        }
        for i in names.indices where next[i] != enabled[i] {
            events.append(Event(member: names[i], kind: next[i] ? "bond-member-up" : "bond-member-down",
                                detail: next[i] ? "member \(names[i]) enabled" : "member \(names[i]) disabled (\(reason(i)))"))
        }
        for i in names.indices {
            let s = lacpSummary(i)
            if lacp != nil && s != lastLACP[i] {
                events.append(Event(member: names[i], kind: "lacp-state", detail: "member \(names[i]): \(s)"))
                lastLACP[i] = s
            }
        }
        let before = (hasher.buckets, hasher.activeMember)
        if next != enabled { enabled = next; changed = true }
        hasher.setEnabled(names.indices.filter { enabled[$0] })
        if before.0 != hasher.buckets || before.1 != hasher.activeMember { changed = true }
    }

    private func reason(_ i: Int) -> String {
        if !carrier[i] { return "carrier off" }
        if !linkUsable[i] { return "waiting for updelay" }
        if let lacp, !lacp.members[i].distributing {
            return lacp.members[i].partner == nil ? "no LACP partner" : "LACP not in sync"
        }
        return "disabled"
    }

    private func lacpSummary(_ i: Int) -> String {
        guard let lacp else { return "" }
        let m = lacp.members[i]
        if m.partner == nil { return "defaulted (no partner)" }
        return m.distributing ? "collecting distributing" : m.selected ? "selected, waiting for partner sync" : "not selected"
    }
}
