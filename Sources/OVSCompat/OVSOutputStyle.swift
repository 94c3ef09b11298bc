import Foundation

/// How `list` and `find` print rows: layout (`--format`), cell data (`--data`) and headings.
public struct OVSOutputStyle: Sendable, Equatable {
    public var format: OVSTableFormat
    public var data: OVSDataFormat
    public var headings: Bool

    public init(format: OVSTableFormat = .list, data: OVSDataFormat = .string, headings: Bool = true) {
        self.format = format; self.data = data; self.headings = headings
    }

    /// Renders rows of cells under `columns` headings.
    public func render(headings names: [String], rows: [[String]], jsonCells: Bool) -> String {
        switch format {
        case .list:
            var out = ""
            for (i, row) in rows.enumerated() {
                if i > 0 { out += "\n" }
                for (name, cell) in zip(names, row) {
                    if headings { out += name.padding(toLength: max(20, name.count), withPad: " ", startingAt: 0) + ": " }
                    out += cell + "\n"
                }
            }
            return out
        case .table:
            var widths = names.map { headings ? $0.count : 0 }
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                var s = ""
                for (i, cell) in cells.enumerated() {
                    s += i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) + " "
                }
                return s + "\n"
            }
            var out = ""
            if headings {
                out += line(names)
                out += widths.map { String(repeating: "-", count: $0) }.joined(separator: " ") + "\n"
            }
            for row in rows { out += line(row) }
            return out
        case .csv:
            func esc(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) || s.hasPrefix(" ") || s.hasSuffix(" ")
                    ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            var out = headings ? names.map(esc).joined(separator: ",") + "\n" : ""
            for row in rows { out += row.map(esc).joined(separator: ",") + "\n" }
            return out
        case .json:
            let cell: (String) -> String = { jsonCells ? $0 : OVSAtom.jsonString($0) }
            let data = rows.map { "[" + $0.map(cell).joined(separator: ",") + "]" }.joined(separator: ",")
            var out = "{\"data\":[\(data)]"
            if headings { out += ",\"headings\":[" + names.map(OVSAtom.jsonString).joined(separator: ",") + "]" }
            return out + "}\n"
        }
    }
}

extension OVSDatabase {
    func render(_ rows: [RowRef], _ columns: [OVSTable.Column], _ style: OVSOutputStyle) -> String {
        let cells = rows.map { row in columns.map { datum(row, $0).formatted(style.data, type: $0.type) } }
        return style.render(headings: columns.map(\.name), rows: cells, jsonCells: style.data == .json)
    }
}
