import Testing
import VhostUser

/// The guest is asked not to kick its receive queues (nothing watches those kicks); its transmit
/// queues are left as the datapath sets them.
@Suite struct ReceiveQueueKickTests {
    func usedFlags(_ ring: TestRing) -> UInt16 {
        (ring.base + TestRing.usedOffset).load(as: UInt16.self).littleEndian
    }

    func availEvent(_ ring: TestRing) -> UInt16 {
        (ring.base + TestRing.usedOffset).load(fromByteOffset: 4 + 8 * ring.size, as: UInt16.self).littleEndian
    }

    @Test func receiveQueueGetsNoNotifyWithoutEventIndex() throws {
        let rxRing = TestRing(), txRing = TestRing()
        let rx = try rxRing.queue(eventIdx: false), tx = try txRing.queue(eventIdx: false)
        #expect(usedFlags(rxRing) == 0 && usedFlags(txRing) == 0)
        _ = VhostUserQueues(memory: rxRing.memory, receive: [rx], transmit: [tx], features: VhostUserFeatures.version1)
        #expect(usedFlags(rxRing) == 1)
        #expect(usedFlags(txRing) == 0)
    }

    @Test func receiveQueueAvailEventIsLeftBehindWithEventIndex() throws {
        let rxRing = TestRing()
        rxRing.setAvailIdx(40)
        let rx = try rxRing.queue(eventIdx: true, base: 0)
        _ = VhostUserQueues(memory: rxRing.memory, receive: [rx], transmit: [],
                            features: VhostUserFeatures.version1 | VhostUserFeatures.ringEventIdx)
        // avail_event one behind the device's place: the guest's next avail.idx updates do not cross it.
        #expect(availEvent(rxRing) == 0xFFFF)
        #expect(usedFlags(rxRing) == 0)
    }
}
