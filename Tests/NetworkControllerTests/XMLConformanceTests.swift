import Testing
@testable import NetworkController

/// networkxml2xml: parse every input of the libvirt corpus, write it back, compare with
/// libvirt's expected output exactly; inputs libvirt rejects must be rejected.
@Test func networkXML2XMLConformance() throws {
    let rows = try Corpus.rows("networkxml2xml-cases.tsv")
    #expect(rows.count >= 40, "corpus case list is unexpectedly short")
    var failures: [String] = []
    var passed = 0
    for row in rows {
        let name = row["name"] ?? "?"
        let input = try Corpus.read("tests/networkxml2xmlin/\(row["input"] ?? "")")
        let expectSuccess = row["expect"] == "success"
        do {
            let def = try NetworkXMLParser.parse(input)
            guard expectSuccess else {
                failures.append("\(name): expected a parse error, but it parsed")
                continue
            }
            let expected = try Corpus.read("tests/networkxml2xmlout/\(row["expected_output"] ?? "")")
            let written = NetworkXMLWriter.write(def)
            if written == expected {
                passed += 1
            } else {
                failures.append("\(name): output differs: \(firstDifference(written, expected))")
            }
        } catch {
            if expectSuccess {
                failures.append("\(name): unexpected error: \(error)")
            } else {
                passed += 1
            }
        }
    }
    #expect(failures.isEmpty, "\(failures.count) of \(rows.count) networkxml2xml cases failed:\n\(failures.joined(separator: "\n"))")
    print("networkxml2xml: \(passed)/\(rows.count) passed")
}
