import TapestryModel

/// Turns text arguments into model values before anything is sent; each refusal names the verb and object.
extension CommandContext {
    /// A bridge, port or similar netdev name that follows Linux's rules.
    func interfaceName(_ text: String, what: String) throws(CLIError) -> String {
        do { try InterfaceName.validate(text, what: what) } catch { throw refuse(error.message) }
        return text
    }

    /// A network namespace name as `ip netns` accepts it.
    func namespaceName(_ text: String) throws(CLIError) -> String {
        do { try InterfaceName.validateNamespace(text) } catch { throw refuse(error.message) }
        return text
    }

    /// One VLAN id in 1...4094.
    func vlan(_ text: String) throws(CLIError) -> VLANID {
        do { return try VLANID.parse(text) } catch { throw refuse(error.message) }
    }

    /// An optional VLAN id.
    func vlan(_ text: String?) throws(CLIError) -> VLANID? {
        guard let text else { return nil }
        return try vlan(text)
    }

    /// A VLAN list such as `10,20-22` or `all`.
    func vlanSet(_ text: String?) throws(CLIError) -> VLANSet? {
        guard let text else { return nil }
        do { return try VLANSet.parse(text) } catch { throw refuse(error.message) }
    }

    /// A MAC address such as `52:54:00:12:34:56`.
    func mac(_ text: String) throws(CLIError) -> MACAddress {
        guard let mac = MACAddress(text) else {
            throw refuse("invalid MAC address '\(text)': expected six hex octets like 52:54:00:12:34:56")
        }
        return mac
    }

    /// An underlay address such as `10.0.0.2` or `2001:db8::2` (VXLAN endpoints); `what` names the option.
    func underlayAddress(_ text: String, _ what: String) throws(CLIError) -> IPAddress {
        guard let a = IPAddress(strict: text) else {
            throw refuse("invalid \(what) '\(text)': expected an IPv4 address like 10.0.0.2 or an IPv6 address like 2001:db8::2")
        }
        return a
    }

    /// One of a fixed set of words (`--mode`, `--type`, `--native-mode`).
    func choice<T: RawRepresentable>(_ text: String?, option: String, among choices: [T]) throws(CLIError) -> T?
    where T.RawValue == String {
        guard let text else { return nil }
        if let value = choices.first(where: { $0.rawValue == text.lowercased() }) { return value }
        let names = choices.map(\.rawValue).joined(separator: ", ")
        throw refuse("invalid \(option) '\(text)': must be one of \(names)")
    }

    /// A model check's message without the `bridge X: ` or `port X: ` prefix the model puts on it,
    /// since the verb and object already say which one.
    func refuse(_ error: ModelError, droppingPrefix prefix: String) -> CLIError {
        let text = error.message
        return refuse(text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
    }
}
