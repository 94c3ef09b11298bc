/// The edits the CLI and topology files make, as pure functions: each returns the new state or
/// throws a message of the form `could not <verb> <object>: <cause>` and leaves `self` unchanged.
extension DesiredState {
    public func addingBridge(_ bridge: BridgeConfig, mayExist: Bool = false) throws(ModelError) -> DesiredState {
        let what = "could not add bridge \(bridge.name)"
        if let existing = self.bridge(named: bridge.name) {
            _ = existing
            if mayExist { return self }
            throw ModelError("\(what): bridge already exists")
        }
        if self.bridge(holdingPort: bridge.name) != nil { throw ModelError("\(what): a port with that name exists") }
        do { try bridge.validate() } catch { throw ModelError("\(what): \(error.message)") }
        var next = self
        next.bridges.append(bridge)
        return next.bumped()
    }

    public func removingBridge(_ name: String, ifExists: Bool = false) throws(ModelError) -> DesiredState {
        guard bridge(named: name) != nil else {
            if ifExists { return self }
            throw ModelError("could not delete bridge \(name): no such bridge")
        }
        var next = self
        next.bridges.removeAll { $0.name == name }
        return next.bumped()
    }

    public func addingPort(_ port: PortConfig, to bridgeName: String, mayExist: Bool = false) throws(ModelError) -> DesiredState {
        let what = "could not add port \(port.name) to bridge \(bridgeName)"
        guard let index = bridges.firstIndex(where: { $0.name == bridgeName }) else {
            throw ModelError("\(what): no such bridge")
        }
        if let holder = self.bridge(holdingPort: port.name) {
            if mayExist && holder.name == bridgeName { return self }
            throw ModelError("\(what): port \(port.name) already exists on bridge \(holder.name)")
        }
        if self.bridge(named: port.name) != nil { throw ModelError("\(what): a bridge with that name exists") }
        do { try port.validate() } catch { throw ModelError("\(what): \(error.message)") }
        var next = self
        next.bridges[index].ports.append(port)
        return next.bumped()
    }

    public func removingPort(_ portName: String, from bridgeName: String, ifExists: Bool = false) throws(ModelError) -> DesiredState {
        let what = "could not delete port \(portName) from bridge \(bridgeName)"
        guard let index = bridges.firstIndex(where: { $0.name == bridgeName }) else {
            if ifExists { return self }
            throw ModelError("\(what): no such bridge")
        }
        guard bridges[index].port(named: portName) != nil else {
            if ifExists { return self }
            throw ModelError("\(what): no such port")
        }
        if portName == bridgeName {
            throw ModelError("\(what): it is the bridge's local port (deleting it requires deleting the bridge)")
        }
        if let m = bridges[index].mirrors.first(where: { $0.output == portName || $0.selectPorts.contains(portName) }) {
            throw ModelError("\(what): mirror \(m.name) uses it (mirror-del first)")
        }
        var next = self
        next.bridges[index].ports.removeAll { $0.name == portName }
        next.bridges[index].staticMACs.removeAll { $0.port == portName }
        return next.bumped()
    }

    /// Replaces a port's settings with `edit(port)`; the name and type cannot change.
    public func updatingPort(_ portName: String, on bridgeName: String,
                             _ edit: (inout PortConfig) throws(ModelError) -> Void) throws(ModelError) -> DesiredState {
        let what = "could not set port \(portName) on bridge \(bridgeName)"
        guard let bi = bridges.firstIndex(where: { $0.name == bridgeName }) else { throw ModelError("\(what): no such bridge") }
        guard let pi = bridges[bi].ports.firstIndex(where: { $0.name == portName }) else {
            throw ModelError("\(what): no such port")
        }
        var port = bridges[bi].ports[pi]
        do { try edit(&port) } catch { throw ModelError("\(what): \(error.message)") }
        guard port.name == portName, port.type == bridges[bi].ports[pi].type else {
            throw ModelError("\(what): name and type cannot change")
        }
        do { try port.validate() } catch { throw ModelError("\(what): \(error.message)") }
        if port == bridges[bi].ports[pi] { return self }
        var next = self
        next.bridges[bi].ports[pi] = port
        return next.bumped()
    }

    public func addingStaticMAC(_ entry: StaticMAC, to bridgeName: String) throws(ModelError) -> DesiredState {
        let what = "could not add MAC \(entry.mac) to bridge \(bridgeName)"
        guard let bi = bridges.firstIndex(where: { $0.name == bridgeName }) else { throw ModelError("\(what): no such bridge") }
        guard bridges[bi].port(named: entry.port) != nil else { throw ModelError("\(what): no such port \(entry.port)") }
        guard entry.mac.isValidSource else { throw ModelError("\(what): not a unicast address") }
        var next = self
        next.bridges[bi].staticMACs.removeAll { $0.mac == entry.mac && $0.vlan == entry.vlan }
        next.bridges[bi].staticMACs.append(entry)
        do { try next.bridges[bi].validate() } catch { throw ModelError("\(what): \(error.message)") }
        next = self
        next.bridges[bi].staticMACs.removeAll { $0.mac == entry.mac && $0.vlan == entry.vlan }
        next.bridges[bi].staticMACs.append(entry)
        return next.bumped()
    }

    public func removingStaticMAC(_ mac: MACAddress, vlan: VLANID, from bridgeName: String) throws(ModelError) -> DesiredState {
        let what = "could not delete MAC \(mac) from bridge \(bridgeName)"
        guard let bi = bridges.firstIndex(where: { $0.name == bridgeName }) else { throw ModelError("\(what): no such bridge") }
        guard bridges[bi].staticMACs.contains(where: { $0.mac == mac && $0.vlan == vlan }) else {
            throw ModelError("\(what): no static entry for VLAN \(vlan)")
        }
        var next = self
        next.bridges[bi].staticMACs.removeAll { $0.mac == mac && $0.vlan == vlan }
        return next.bumped()
    }

    private func bumped() -> DesiredState {
        var next = self
        next.generation += 1
        return next
    }
}

extension DesiredState {
    /// `set-br`: changes the given settings of a bridge.
    public func updatingBridge(_ name: String, mode: BridgeMode?, macAging: Int?, macTableSize: Int?) throws(ModelError) -> DesiredState {
        let what = "could not set bridge \(name)"
        guard let bi = bridges.firstIndex(where: { $0.name == name }) else { throw ModelError("\(what): no such bridge") }
        var b = bridges[bi]
        if let mode { b.mode = mode }
        if let macAging { b.macAging = macAging }
        if let macTableSize { b.macTableSize = macTableSize }
        do { try b.validate() } catch { throw ModelError("\(what): \(error.message)") }
        if b == bridges[bi] { return self }
        var next = self
        next.bridges[bi] = b
        next.generation += 1
        return next
    }
}

extension DesiredState {
    /// `mirror-add`: adds a mirror to a bridge.
    public func addingMirror(_ mirror: MirrorConfig, to bridgeName: String) throws(ModelError) -> DesiredState {
        let what = "could not add mirror \(mirror.name) to bridge \(bridgeName)"
        guard let bi = bridges.firstIndex(where: { $0.name == bridgeName }) else { throw ModelError("\(what): no such bridge") }
        guard !bridges[bi].mirrors.contains(where: { $0.name == mirror.name }) else { throw ModelError("\(what): mirror exists") }
        var next = self
        next.bridges[bi].mirrors.append(mirror)
        do { try next.bridges[bi].validate() } catch { throw ModelError("\(what): \(error.message)") }
        next.generation += 1
        return next
    }

    /// `mirror-del`: removes a mirror.
    public func removingMirror(_ name: String, from bridgeName: String, ifExists: Bool = false) throws(ModelError) -> DesiredState {
        let what = "could not delete mirror \(name) from bridge \(bridgeName)"
        guard let bi = bridges.firstIndex(where: { $0.name == bridgeName }) else { throw ModelError("\(what): no such bridge") }
        guard bridges[bi].mirrors.contains(where: { $0.name == name }) else {
            if ifExists { return self }
            throw ModelError("\(what): no such mirror")
        }
        var next = self
        next.bridges[bi].mirrors.removeAll { $0.name == name }
        next.generation += 1
        return next
    }
}
