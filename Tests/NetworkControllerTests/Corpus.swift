import Foundation

/// Locates the libvirt conformance corpus inside the repository: `<repo>/Tests/Fixtures/libvirt`
/// (found from `#filePath`; see `Tests/Fixtures/README.md` for its provenance and licence).
enum Corpus {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "libvirt conformance corpus file not found at \(path) (it belongs in the repository under Tests/Fixtures/libvirt)"
        }
    }

    static func root(filePath: String = #filePath) throws -> URL {
        // <repo>/Tests/NetworkControllerTests/Corpus.swift → <repo>/Tests
        let tests = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
        let corpus = tests.appendingPathComponent("Fixtures/libvirt")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: corpus.path, isDirectory: &isDir), isDir.boolValue else {
            throw Missing(path: corpus.path)
        }
        return corpus
    }

    static func read(_ relative: String) throws -> String {
        let url = try root().appendingPathComponent(relative)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Missing(path: url.path)
        }
        return text
    }

    /// Rows of a `cases/*.tsv` file as dictionaries keyed by the header's column names
    /// (the part of each header before any parenthesis).
    static func rows(_ tsv: String) throws -> [[String: String]] {
        let lines = try read("cases/\(tsv)").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first else { return [] }
        let keys = header.split(separator: "\t", omittingEmptySubsequences: false).map {
            String($0.split(separator: "(").first ?? $0)
        }
        return lines.dropFirst().map { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var row: [String: String] = [:]
            for (i, k) in keys.enumerated() where i < cols.count { row[k] = cols[i] }
            return row
        }
    }
}

/// A line-by-line diff summary for failure messages.
func firstDifference(_ a: String, _ b: String) -> String {
    let la = a.split(separator: "\n", omittingEmptySubsequences: false)
    let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(la.count, lb.count) {
        let x = i < la.count ? String(la[i]) : "<none>"
        let y = i < lb.count ? String(lb[i]) : "<none>"
        if x != y { return "line \(i + 1): got «\(x)» expected «\(y)»" }
    }
    return "identical"
}
