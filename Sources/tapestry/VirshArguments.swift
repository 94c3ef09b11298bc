/// virsh's named forms of the net-* verbs' arguments: `net-start --network NAME`,
/// `net-define --file FILE` (also `--network=NAME`, `--file=FILE`) become the positional argument
/// Tapestry's verbs take. Other verbs and other words are left as they are.
enum VirshArguments {
    /// The net-* verbs and the option virsh names their one argument with.
    static let named: [String: String] = [
        "net-define": "--file", "net-create": "--file",
        "net-start": "--network", "net-destroy": "--network", "net-undefine": "--network", "net-autostart": "--network",
        "net-info": "--network", "net-dumpxml": "--network", "net-dhcp-leases": "--network", "net-uuid": "--network",
        "net-name": "--network", "net-edit": "--network",
    ]

    /// `arguments` (verb first, after `ArgumentOrder`) with the named argument made positional.
    static func positional(_ arguments: [String]) -> [String] {
        guard let verb = arguments.first, let option = named[verb] else { return arguments }
        var out = [verb]
        var index = 1
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { out += arguments[index...]; break }
            if word == option, index + 1 < arguments.count {
                out.append(arguments[index + 1]); index += 2; continue
            }
            if word.hasPrefix(option + "=") { out.append(String(word.dropFirst(option.count + 1))); index += 1; continue }
            out.append(word); index += 1
        }
        return out
    }
}
