/// Parsing and printing of the units port policy is written in, as tc and netem write them:
/// rates (`100mbit`, `1gbit`, `500kbit`, `64000bit`; `bps`/`kbps`/`mbps` are bytes per second, as
/// in tc), sizes (`256k` = 256 KiB, `1m`, `1500b`, `1500`), durations (`20ms`, `5us`, `1s`) and
/// percentages (`1%`, `0.1%`, stored as parts per million).
public enum PolicyUnits {
    /// A rate in bits per second.
    public static func rate(_ text: String, what: String) throws(ModelError) -> UInt64 {
        let t = text.lowercased()
        let units: [(String, Double)] = [("tbit", 1e12), ("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1),
                                         ("tbps", 8e12), ("gbps", 8e9), ("mbps", 8e6), ("kbps", 8e3), ("bps", 8)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            let n = try number(String(t.dropLast(suffix.count)), what: what, text: text)
            let v = n * factor
            guard v >= 1, v <= 1e13 else { throw ModelError("\(what) \(text) out of range 1bit-10tbit") }
            return UInt64(v)
        }
        throw ModelError("\(what) \(text) needs a unit: bit, kbit, mbit, gbit (or bps, kbps, mbps for bytes/s)")
    }

    /// A size in bytes (k, m, g are powers of 1024).
    public static func size(_ text: String, what: String) throws(ModelError) -> UInt64 {
        var t = text.lowercased()
        var factor: Double = 1
        for (suffix, f) in [("kib", 1024.0), ("mib", 1048576), ("gib", 1073741824), ("kb", 1024), ("mb", 1048576),
                            ("gb", 1073741824), ("k", 1024), ("m", 1048576), ("g", 1073741824), ("b", 1)]
        where t.hasSuffix(suffix) {
            factor = f
            t.removeLast(suffix.count)
            break
        }
        let v = try number(t, what: what, text: text) * factor
        guard v >= 1, v <= 4_294_967_296 else { throw ModelError("\(what) \(text) out of range 1b-4g") }
        return UInt64(v)
    }

    /// A duration in nanoseconds.
    public static func duration(_ text: String, what: String) throws(ModelError) -> Int64 {
        let t = text.lowercased()
        for (suffix, factor) in [("ns", 1.0), ("us", 1e3), ("ms", 1e6), ("s", 1e9)] where t.hasSuffix(suffix) {
            let v = try number(String(t.dropLast(suffix.count)), what: what, text: text) * factor
            guard v <= 60e9 else { throw ModelError("\(what) \(text) out of range 0-60s") }
            return Int64(v)
        }
        throw ModelError("\(what) \(text) needs a unit: us, ms or s")
    }

    /// A percentage as parts per million (`1%` → 10000).
    public static func percent(_ text: String, what: String) throws(ModelError) -> UInt32 {
        guard text.hasSuffix("%") else { throw ModelError("\(what) \(text) must be a percentage like 1% or 0.5%") }
        let v = try number(String(text.dropLast()), what: what, text: text)
        guard v <= 100 else { throw ModelError("\(what) \(text) out of range 0%-100%") }
        return UInt32((v * 10_000).rounded())
    }

    /// Storm limits `broadcast=1000pps,multicast=500,unknown-unicast=2000pps` (frames a second, 1-100000000;
    /// a class left out has no limit).
    public static func stormLimits(_ text: String, what: String) throws(ModelError)
        -> (broadcast: UInt64?, multicast: UInt64?, unknownUnicast: UInt64?) {
        var limits: (broadcast: UInt64?, multicast: UInt64?, unknownUnicast: UInt64?) = (nil, nil, nil)
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw ModelError("\(what) '\(item)' must be class=Npps (broadcast, multicast, unknown-unicast)") }
            var n = kv[1].lowercased()
            if n.hasSuffix("pps") { n.removeLast(3) }
            guard let v = UInt64(n), (1...100_000_000).contains(v) else {
                throw ModelError("\(what) \(kv[0])=\(kv[1]): the limit must be 1-100000000 frames a second (e.g. 1000pps)")
            }
            switch kv[0].lowercased() {
            case "broadcast": limits.broadcast = v
            case "multicast": limits.multicast = v
            case "unknown-unicast": limits.unknownUnicast = v
            default: throw ModelError("\(what): unknown class '\(kv[0])' (broadcast, multicast, unknown-unicast)")
            }
        }
        return limits
    }

    private static func number(_ s: String, what: String, text: String) throws(ModelError) -> Double {
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              s.filter({ $0 == "." }).count <= 1, let v = Double(s), v.isFinite, v >= 0 else {
            throw ModelError("\(what) '\(text)' is not a number with a unit")
        }
        return v
    }

    /// `100mbit`-style text for a rate in bits per second.
    public static func formatRate(_ bits: UInt64) -> String {
        for (suffix, f) in [("gbit", 1_000_000_000 as UInt64), ("mbit", 1_000_000), ("kbit", 1000)]
        where bits >= f && bits % f == 0 { return "\(bits / f)\(suffix)" }
        return "\(bits)bit"
    }

    /// `256k`-style text for a size in bytes.
    public static func formatSize(_ bytes: UInt64) -> String {
        for (suffix, f) in [("m", 1_048_576 as UInt64), ("k", 1024)] where bytes >= f && bytes % f == 0 {
            return "\(bytes / f)\(suffix)"
        }
        return "\(bytes)b"
    }

    /// `20ms`-style text for a duration in nanoseconds.
    public static func formatDuration(_ nanos: Int64) -> String {
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        if nanos % 1000 == 0 { return "\(nanos / 1000)us" }
        return "\(nanos)ns"
    }

    /// `0.1%`-style text for parts per million.
    public static func formatPercent(_ ppm: UInt32) -> String {
        let whole = ppm / 10_000, frac = ppm % 10_000
        guard frac != 0 else { return "\(whole)%" }
        var f = String(frac)
        f = String(repeating: "0", count: 4 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(whole).\(f)%"
    }
}
