import TapestryModel

/// The ARP suppression step of the pipeline, for frames switched from a port that suppresses ARP
/// (`FastPort.arpSuppress`; the pipeline tests the flag once per batch): an ARP sender is snooped
/// into `arpSnoop`; a broadcast request for an IP the bridge has a binding for (on the frame's
/// VLAN) is answered — the reply written into the batch, the request consumed: not flooded to
/// the tunnels nor to the local ports, as OVN and EVPN do. Unknown IPs, gratuitous ARP (sender
/// IP = target IP), probes (sender IP 0) and requests for the requester's own MAC go on as before.
/// IPv6 neighbour solicitations are treated the same way (`suppressND`).
extension BridgeEngine {
    /// Returns the length of the reply written at `reply` (0: none); the caller then marks the
    /// decision `.answered`. Out of line and taking `d` by value, so the pipeline's per-frame
    /// decision stays in registers on ports without suppression.
    @inline(never)
    func suppressARP(_ frame: UnsafeRawBufferPointer, _ d: ForwardingDecision, _ snap: ForwardingSnapshot, inSlot: Int,
                     now: Int64, learning: Bool, reply: UnsafeMutableRawPointer) -> Int {
        let l3 = d.header.isTagged ? FrameHeader.ethernetHeaderLength + FrameHeader.tagLength : FrameHeader.ethernetHeaderLength
        guard frame.count >= l3 else { return 0 }
        let ethertype = frame.be16(l3 - 2)
        if ethertype == 0x86DD {
            return suppressND(frame, l3: l3, d, snap, inSlot: inSlot, now: now, learning: learning, reply: reply)
        }
        guard ethertype == 0x0806 else { return 0 }
        guard let arp = ARPSuppression.Packet(frame, at: l3) else {
            if learning { arpSnoop.countMalformed() }
            return 0
        }
        if learning && arp.senderIP != 0 && arp.senderMAC == d.header.source.rawValue {
            arpSnoop.record(vlan: d.vlan, ip: arp.senderIP, mac: arp.senderMAC, port: snap.fast[inSlot].id, now: now)
        }
        guard arp.operation == 1, d.action == .flood, d.header.destination == .broadcast,
              arp.senderIP != 0, arp.senderIP != arp.targetIP,
              let mac = snap.arpBindings[ARPSuppression.key(vlan: d.vlan, ip: arp.targetIP)], mac != arp.senderMAC else { return 0 }
        ARPSuppression.writeReply(reply, mac: mac, ip: arp.targetIP, requesterMAC: arp.senderMAC, requesterIP: arp.senderIP)
        if learning { arpSnoop.countAnswered() }
        return ARPSuppression.replyLength
    }

    /// IPv6 neighbour discovery (ICMPv6 right after the IPv6 header, hop limit 255): a solicitation's
    /// source and an advertisement's target are snooped (with the frame's source MAC); a multicast
    /// solicitation from a node with an address (not duplicate address detection) for a bound
    /// target is answered with a solicited advertisement.
    @inline(__always)
    private func suppressND(_ frame: UnsafeRawBufferPointer, l3: Int, _ d: ForwardingDecision, _ snap: ForwardingSnapshot,
                            inSlot: Int, now: Int64, learning: Bool, reply: UnsafeMutableRawPointer) -> Int {
        guard frame.count >= l3 + 64, frame[l3] >> 4 == 6, frame[l3 + 6] == 58, frame[l3 + 7] == 255 else { return 0 }
        // The whole ICMPv6 message as the IPv6 header announces it (a truncated one is not taken).
        let payload = Int(frame.be16(l3 + 4))
        guard payload >= 24, frame.count >= l3 + 40 + payload else { return 0 }
        let type = frame[l3 + 40]
        guard type == 135 || type == 136, frame[l3 + 41] == 0 else { return 0 }
        let source = IPv6Bits(frame, at: l3 + 8)
        let target = IPv6Bits(frame, at: l3 + 48)
        let sourceIsUnicast = source != .zero && source.high >> 56 != 0xFF
        let targetIsUnicast = target != .zero && target.high >> 56 != 0xFF
        if learning {
            let port = snap.fast[inSlot].id, mac = d.header.source.rawValue
            if type == 136 && targetIsUnicast {
                arpSnoop.record(vlan: d.vlan, ip: target, mac: mac, port: port, now: now)
            } else if type == 135 && sourceIsUnicast {
                arpSnoop.record(vlan: d.vlan, ip: source, mac: mac, port: port, now: now)
            }
        }
        guard type == 135, d.action == .flood, d.header.destination.isMulticast, sourceIsUnicast, targetIsUnicast, source != target,
              let mac = snap.ndBindings[ARPSuppression.NeighborKey(vlan: d.vlan, high: target.high, low: target.low)],
              mac != d.header.source.rawValue else { return 0 }
        ARPSuppression.writeAdvertisement(reply, mac: mac, target: target, requesterMAC: d.header.source.rawValue, requesterIP: source)
        if learning { arpSnoop.countAnswered() }
        return ARPSuppression.advertisementLength
    }

    /// How the reply (written untagged) is tagged leaving `slot` on the frame's VLAN.
    @inline(__always)
    static func replyEdit(_ snap: ForwardingSnapshot, _ d: ForwardingDecision, to slot: Int) -> EgressEdit {
        let port = snap.fast[slot]
        let tagged = !(port.flags & FastPort.untaggedEgress != 0 && d.vlan == port.untaggedVLAN)
        return EgressEdit.forEgress(vlan: d.vlan, header: ForwardingDecision.emptyHeader, tagged: tagged)
    }
}
