/// Whether a port takes part in switching right now, as the control plane decides it from the
/// port's link (carrier and admin state) and, with spanning tree, from the port's STP state.
///
/// - `forwarding`: frames come in, are learned from, and go out.
/// - `learning`: frames that come in are learned from, then dropped; nothing goes out (STP learning).
/// - `discarding`: nothing is learned, forwarded or flooded to (link down, STP blocking/discarding).
public enum PortForwardingState: String, Sendable, Codable, CaseIterable {
    case forwarding, learning, discarding

    /// Whether frames may leave the port.
    public var forwards: Bool { self == .forwarding }
    /// Whether sources of frames arriving on the port are learned.
    public var learns: Bool { self != .discarding }

    /// The stricter of two states (a link that is down wins over STP forwarding).
    public func combined(with other: PortForwardingState) -> PortForwardingState {
        switch (self, other) {
        case (.discarding, _), (_, .discarding): .discarding
        case (.learning, _), (_, .learning): .learning
        default: .forwarding
        }
    }
}
