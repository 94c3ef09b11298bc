/// A parsed XML element kept as a plain tree: name (with any prefix), attributes in
/// document order, child elements and text. Used for the parse step and for the
/// subtrees Tapestry keeps verbatim (metadata, vlan, bandwidth, portgroup, ...).
public struct XMLElementNode: Hashable, Sendable {
    /// A child of an element: another element or a run of text.
    public enum Child: Hashable, Sendable {
        case element(XMLElementNode)
        case text(String)
    }

    /// The qualified element name as written (`dnsmasq:options`).
    public var name: String
    /// Attributes in the order they appear in the document.
    public var attributes: [(name: String, value: String)] {
        get { attributeList.map { ($0.name, $0.value) } }
        set { attributeList = newValue.map { Attribute(name: $0.name, value: $0.value) } }
    }
    /// The children in document order.
    public var children: [Child]

    struct Attribute: Hashable, Sendable {
        var name: String
        var value: String
    }
    var attributeList: [Attribute]

    /// Creates an element.
    public init(name: String, attributes: [(name: String, value: String)] = [], children: [Child] = []) {
        self.name = name
        self.attributeList = attributes.map { Attribute(name: $0.name, value: $0.value) }
        self.children = children
    }

    /// The value of attribute `name`, if present.
    public func attribute(_ name: String) -> String? {
        attributeList.first(where: { $0.name == name })?.value
    }

    /// The element children, in order.
    public var elements: [XMLElementNode] {
        children.compactMap { if case .element(let e) = $0 { return e } else { return nil } }
    }

    /// The element children named `name`.
    public func elements(named name: String) -> [XMLElementNode] {
        elements.filter { $0.name == name }
    }

    /// The first element child named `name`.
    public func element(named name: String) -> XMLElementNode? {
        elements.first(where: { $0.name == name })
    }

    /// All text children concatenated.
    public var text: String {
        children.map { if case .text(let t) = $0 { return t } else { return "" } }.joined()
    }
}
