import Foundation

/// One result of `tapestry doctor`: what was checked, how it stands, and what to do about it.
struct DoctorFinding: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        /// As it should be.
        case ok
        /// Works, but worth a look (e.g. a VM has not brought its tap up yet).
        case warning
        /// Something Tapestry needs is missing or broken: `doctor` exits with status 1.
        case problem
    }

    /// `kernel`, `helpers`, `daemon` or `port BRIDGE/PORT`.
    var area: String
    /// What was checked, e.g. `tun/tap` or `dnsmasq`.
    var check: String
    var status: Status
    /// What was found.
    var detail: String
    /// What to do about it (for warnings and problems).
    var fix: String?

    static func ok(_ area: String, _ check: String, _ detail: String) -> DoctorFinding {
        DoctorFinding(area: area, check: check, status: .ok, detail: detail, fix: nil)
    }
    static func warning(_ area: String, _ check: String, _ detail: String, fix: String) -> DoctorFinding {
        DoctorFinding(area: area, check: check, status: .warning, detail: detail, fix: fix)
    }
    static func problem(_ area: String, _ check: String, _ detail: String, fix: String) -> DoctorFinding {
        DoctorFinding(area: area, check: check, status: .problem, detail: detail, fix: fix)
    }
}

/// Everything `doctor` found, as `--format json` prints it.
struct DoctorReport: Codable, Sendable {
    var healthy: Bool
    var cliVersion: String
    var daemonVersion: String?
    var findings: [DoctorFinding]

    init(cliVersion: String, daemonVersion: String?, findings: [DoctorFinding]) {
        self.cliVersion = cliVersion; self.daemonVersion = daemonVersion; self.findings = findings
        healthy = !findings.contains { $0.status == .problem }
    }

    /// One line per finding, `[ ok ]`, `[warn]` or `[FAIL]`, with the fix indented below.
    var text: String {
        var lines: [String] = []
        for f in findings {
            let tag = switch f.status { case .ok: "[ ok ]"; case .warning: "[warn]"; case .problem: "[FAIL]" }
            lines.append("\(tag) \(f.area): \(f.check): \(f.detail)")
            if let fix = f.fix, f.status != .ok { lines.append("       fix: \(fix)") }
        }
        let problems = findings.filter { $0.status == .problem }.count
        let warnings = findings.filter { $0.status == .warning }.count
        lines.append(problems == 0
            ? "all is well (\(findings.count) checks\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""))"
            : "\(problems) problem\(problems == 1 ? "" : "s") found (\(findings.count) checks)")
        return lines.joined(separator: "\n")
    }
}
