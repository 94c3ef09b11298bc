import TapestryModel

/// The ARP suppression step of the pipeline, for frames switched from a port that suppresses ARP
/// (`FastPort.arpSuppress`; the pipeline tests the flag once per batch): an ARP sender is snooped
/// into `arpSnoop`; a broadcast request for an IP the bridge has a binding for (on the frame's
/// VLAN) is answered — the reply written into the batch, the request consumed: not flooded to
/// the tunnels nor to the local ports, as OVN and EVPN do. Unknown IPs, gratuitous ARP (sender
/// IP = target IP), probes (sender IP 0) and requests for the requester's own MAC go on as before.
extension BridgeEngine {
    @inline(never)
    func suppressARP(_ frame: UnsafeRawBufferPointer, _ d: inout ForwardingDecision, _ snap: ForwardingSnapshot, inSlot: Int,
                     now: Int64, learning: Bool, reply: UnsafeMutableRawPointer) {
        let l3 = d.header.isTagged ? FrameHeader.ethernetHeaderLength + FrameHeader.tagLength : FrameHeader.ethernetHeaderLength
        guard frame.count >= l3, frame.be16(l3 - 2) == 0x0806 else { return }
        guard let arp = ARPSuppression.Packet(frame, at: l3) else {
            if learning { arpMalformed &+= 1 }
            return
        }
        if learning && arp.senderIP != 0 && arp.senderMAC == d.header.source.rawValue {
            arpSnoop.record(vlan: d.vlan, ip: arp.senderIP, mac: arp.senderMAC, port: snap.fast[inSlot].id, now: now)
        }
        guard arp.operation == 1, d.action == .flood, d.header.destination == .broadcast,
              arp.senderIP != 0, arp.senderIP != arp.targetIP,
              let mac = snap.arpBindings[ARPSuppression.key(vlan: d.vlan, ip: arp.targetIP)], mac != arp.senderMAC else { return }
        ARPSuppression.writeReply(reply, mac: mac, ip: arp.targetIP, requesterMAC: arp.senderMAC, requesterIP: arp.senderIP)
        d.action = .answered
        if learning { arpAnswered &+= 1 }
    }

    /// How the reply (written untagged) is tagged leaving `slot` on the frame's VLAN.
    @inline(__always)
    static func replyEdit(_ snap: ForwardingSnapshot, _ d: ForwardingDecision, to slot: Int) -> EgressEdit {
        let port = snap.fast[slot]
        let tagged = !(port.flags & FastPort.untaggedEgress != 0 && d.vlan == port.untaggedVLAN)
        return EgressEdit.forEgress(vlan: d.vlan, header: ForwardingDecision.emptyHeader, tagged: tagged)
    }
}
