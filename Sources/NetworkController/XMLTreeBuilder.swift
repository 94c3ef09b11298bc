import FoundationXML
import Foundation

/// Builds an `XMLElementNode` tree from a document with FoundationXML's `XMLParser`.
/// `XMLParser` reports attributes as a dictionary, so their document order is recovered
/// by scanning the start tag in the source text.
enum XMLTreeBuilder {
    /// Parses `text`; throws `NetworkXMLError` when it is not well-formed.
    static func parse(_ text: String) throws -> XMLElementNode {
        let delegate = TreeDelegate(source: Array(text.utf8))
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        if !ok || delegate.failure != nil {
            let line = parser.lineNumber
            let reason = delegate.failure ?? parser.parserError.map { "\($0.localizedDescription)" } ?? "parse failed"
            throw NetworkXMLError.malformed("not well-formed XML (line \(line)): \(reason)")
        }
        guard let root = delegate.root else {
            throw NetworkXMLError.malformed("document has no root element")
        }
        return root
    }
}

private final class TreeDelegate: NSObject, XMLParserDelegate {
    let source: [UInt8]
    var cursor = 0
    var stack: [XMLElementNode] = []
    var root: XMLElementNode?
    var failure: String?

    init(source: [UInt8]) {
        self.source = source
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let name = qName ?? elementName
        let order = nextStartTagAttributeOrder(name: name)
        var attrs: [(name: String, value: String)] = []
        for key in order where attributeDict[key] != nil {
            attrs.append((key, attributeDict[key] ?? ""))
        }
        for (key, value) in attributeDict.sorted(by: { $0.key < $1.key }) where !order.contains(key) {
            attrs.append((key, value))
        }
        stack.append(XMLElementNode(name: name, attributes: attrs))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        guard let done = stack.popLast() else { return }
        if stack.isEmpty {
            root = done
        } else {
            stack[stack.count - 1].children.append(.element(done))
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        if case .text(let prev)? = stack[stack.count - 1].children.last {
            stack[stack.count - 1].children[stack[stack.count - 1].children.count - 1] = .text(prev + string)
        } else {
            stack[stack.count - 1].children.append(.text(string))
        }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if failure == nil { failure = "\(parseError.localizedDescription)" }
    }

    /// Finds the next start tag `<name` after the cursor (skipping comments, CDATA,
    /// processing instructions and end tags) and returns its attribute names in order.
    private func nextStartTagAttributeOrder(name: String) -> [String] {
        let nameBytes = Array(name.utf8)
        var i = cursor
        let n = source.count
        func startsWith(_ s: String, at p: Int) -> Bool {
            let b = Array(s.utf8)
            return p + b.count <= n && Array(source[p..<(p + b.count)]) == b
        }
        func skip(past terminator: String, from p: Int) -> Int {
            let t = Array(terminator.utf8)
            var q = p
            while q + t.count <= n {
                if Array(source[q..<(q + t.count)]) == t { return q + t.count }
                q += 1
            }
            return n
        }
        while i < n {
            guard source[i] == UInt8(ascii: "<") else { i += 1; continue }
            if startsWith("<!--", at: i) { i = skip(past: "-->", from: i + 4); continue }
            if startsWith("<![CDATA[", at: i) { i = skip(past: "]]>", from: i + 9); continue }
            if startsWith("<?", at: i) || startsWith("<!", at: i) || startsWith("</", at: i) {
                i = skip(past: ">", from: i + 1); continue
            }
            let nameEnd = i + 1 + nameBytes.count
            if nameEnd <= n, Array(source[(i + 1)..<nameEnd]) == nameBytes,
               nameEnd == n || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                                UInt8(ascii: ">"), UInt8(ascii: "/")].contains(source[nameEnd]) {
                var names: [String] = []
                var p = nameEnd
                while p < n {
                    let c = source[p]
                    if c == UInt8(ascii: ">") { p += 1; break }
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                        let q = c
                        p += 1
                        while p < n && source[p] != q { p += 1 }
                        p += 1
                        continue
                    }
                    if c == UInt8(ascii: "=") || c == UInt8(ascii: "/") || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                        p += 1; continue
                    }
                    let startName = p
                    while p < n, ![UInt8(ascii: "="), 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(source[p]) {
                        p += 1
                    }
                    names.append(String(decoding: source[startName..<p], as: UTF8.self))
                }
                cursor = p
                return names
            }
            i += 1
        }
        return []
    }
}
