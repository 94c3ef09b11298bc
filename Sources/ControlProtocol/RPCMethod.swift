/// One control method, declared once as a type: its name on the wire, its parameter and result
/// types, the daemon service that handles it, and whether it may be one operation of a
/// `transaction` (the `--` chains of the CLI). List a new method in `Methods.all`.
public protocol RPCMethod {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
    static var service: ControlService { get }
    /// True for methods that only edit the desired state: they may be chained in a `transaction`.
    static var transactional: Bool { get }
}

extension RPCMethod {
    public static var transactional: Bool { false }

    /// This method's declaration as a value (for listing and checking).
    public static var declaration: MethodDeclaration {
        MethodDeclaration(name: name, params: String(describing: Params.self), result: String(describing: Result.self),
                          service: service, transactional: transactional)
    }
}

/// The daemon service that handles a method; each has its own state and lock (see ARCHITECTURE.md).
public enum ControlService: String, Sendable, CaseIterable {
    /// JSON-RPC itself: `version`, `transaction`.
    case daemon
    /// Bridges, ports, static MACs and mirrors: the desired state and the ports realized from it.
    case bridges
    /// libvirt-style networks (`net-*`).
    case networks
    /// Traces, captures, events, mirror listing (and the metrics exposition, not an RPC).
    case observability
}

/// What `RPCMethod` declares, as a value.
public struct MethodDeclaration: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let params: String
    public let result: String
    public let service: ControlService
    public let transactional: Bool

    public var description: String {
        "\(name)(\(params)) -> \(result) [\(service.rawValue)\(transactional ? ", transactional" : "")]"
    }
}
