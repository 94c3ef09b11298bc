/// Rows of text cells laid out in columns two spaces apart, each padded to its widest cell.
/// Columns empty in every row are left out; trailing spaces are trimmed.
struct TextTable {
    /// Where a cell sits in its column.
    enum Alignment { case left, right }

    var alignments: [Alignment]
    var rows: [[String]] = []
    /// The least width of each column (e.g. so a short header keeps its place).
    var minimumWidths: [Int] = []

    init(_ alignments: [Alignment]) { self.alignments = alignments }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// The table's lines, each prefixed with `indent`.
    func lines(indent: String = "") -> [String] {
        let columns = alignments.count
        var widths = (0..<columns).map { minimumWidths.indices.contains($0) ? minimumWidths[$0] : 0 }
        for row in rows {
            for (i, cell) in row.prefix(columns).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        let shown = (0..<columns).filter { widths[$0] > 0 }
        return rows.map { row in
            let cells = shown.map { i -> String in
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return alignments[i] == .left ? cell + pad : pad + cell
            }
            var line = indent + cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
