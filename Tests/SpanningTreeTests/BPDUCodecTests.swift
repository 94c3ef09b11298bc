import SpanningTree
import Testing

@Suite("BPDU codec")
struct BPDUCodecTests {
    static func rst() -> BPDU {
        var b = BPDU(kind: .rst, version: 2)
        b.role = .designated; b.proposal = true; b.learning = true; b.topologyChange = true
        b.root = BridgeIdentifier(priority: 4096, address: [2, 0, 0, 0, 0, 1])
        b.rootPathCost = 40000
        b.bridge = BridgeIdentifier(priority: 32768, address: [2, 0, 0, 0, 0, 2])
        b.port = PortIdentifier(priority: 128, number: 3)
        b.times = STPTimes(messageAge: 1, maxAge: 20, hello: 2, forwardDelay: 15)
        return b
    }

    static func decode(_ bytes: [UInt8]) -> Result<BPDU, BPDUError> { bytes.withUnsafeBytes { BPDUCodec.decode($0) } }

    @Test func rstRoundTripsWithTheStandardLayout() throws {
        let frame = BPDUCodec.encode(Self.rst(), source: [2, 0, 0, 0, 0, 2])
        #expect(frame.count == 60)
        #expect(Array(frame[0..<6]) == [0x01, 0x80, 0xC2, 0, 0, 0])
        #expect(Array(frame[12..<17]) == [0x00, 39, 0x42, 0x42, 0x03])
        #expect(Array(frame[17..<21]) == [0, 0, 2, 2])  // protocol 0, version 2, type RST
        #expect(frame[21] == 0x01 | 0x02 | (3 << 2) | 0x10)
        #expect(Array(frame[30..<34]) == [0, 0, 0x9C, 0x40])  // root path cost 40000
        #expect(Array(frame[44..<46]) == [1, 0])  // message age 1 s in 1/256 s
        #expect(try Self.decode(frame).get() == Self.rst())
    }

    @Test func configAndTCNRoundTrip() throws {
        var c = Self.rst()
        c.kind = .config; c.version = 0; c.proposal = false; c.learning = false; c.topologyChangeAck = true
        let frame = BPDUCodec.encode(c, source: [2, 0, 0, 0, 0, 2])
        #expect(Array(frame[12..<14]) == [0, 38])
        var back = try Self.decode(frame).get()
        #expect(back.kind == .config && back.topologyChange && back.topologyChangeAck && back.role == .designated)
        back.role = c.role
        #expect(back == c)
        let tcn = BPDUCodec.encode(BPDU(kind: .tcn, version: 0), source: [2, 0, 0, 0, 0, 2])
        #expect(try Self.decode(tcn).get().kind == .tcn)
    }

    @Test func badBPDUsAreRefusedWithTheReason() {
        let good = BPDUCodec.encode(Self.rst(), source: [2, 0, 0, 0, 0, 2])
        #expect(Self.decode(Array(good[0..<30])) == .failure(.truncated(30)))
        var version = good; version[19] = 0  // RST type with version 0
        #expect(Self.decode(version) == .failure(.badVersion(kind: 2, version: 0)))
        var proto = good; proto[18] = 1
        #expect(Self.decode(proto) == .failure(.badProtocol(1)))
        var type = good; type[20] = 0x55
        #expect(Self.decode(type) == .failure(.badVersion(kind: 0x55, version: 2)))
        var llc = good; llc[14] = 0xAA
        #expect(Self.decode(llc) == .failure(.notSpanningTree))
        var timers = good; timers[48] = 200  // hello 200 s
        if case .failure(.absurdTimers) = Self.decode(timers) {} else { Issue.record("hello 200 s accepted") }
        var age = good; age[44] = 25  // message age 25 ≥ max age 20
        if case .failure(.absurdTimers) = Self.decode(age) {} else { Issue.record("message age beyond max age accepted") }
        // A length field claiming fewer bytes than a config BPDU needs.
        var short = good; short[13] = 10
        #expect(Self.decode(short) == .failure(.truncated(60)))
    }
}
