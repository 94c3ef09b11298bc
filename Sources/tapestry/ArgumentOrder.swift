/// Lets the global options stand before the verb, as with ovs-vsctl and virsh
/// (`tapestry --socket S --format json show`). ArgumentParser only takes a subcommand's options after
/// the subcommand's name, so the leading global options are moved to just after the verb.
enum ArgumentOrder {
    /// The options that take a value and belong to every verb.
    static let globalOptions = ["--socket", "--format", "--connect",
                                "--cluster", "--cluster-name", "--etcd-ca", "--etcd-cert", "--etcd-key", "--etcd-user", "--etcd-password-file"]
    /// ovs-vsctl's command options that may also stand before the verb (`tapestry --may-exist add-br br0`).
    static let leadingFlags = ["--may-exist", "--if-exists"]

    /// `arguments` without the program name. Leading `--socket X`, `--socket=X`, `--format X`,
    /// `--format=X`, `--may-exist` and `--if-exists` go after the first word that follows them. When only options such as `--help` or
    /// `--version` follow, the global options are dropped since nothing would use them; when nothing
    /// follows, the arguments stay as they are and the parse fails (see `ParseFailure`).
    static func movingGlobalOptionsAfterVerb(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if globalOptions.contains(word), index + 1 < arguments.count {
                moved += [word, arguments[index + 1]]
                index += 2
            } else if leadingFlags.contains(word) || globalOptions.contains(where: { word.hasPrefix($0 + "=") }) {
                moved.append(word)
                index += 1
            } else {
                break
            }
        }
        guard !moved.isEmpty else { return arguments }
        guard index < arguments.count else { return arguments }
        let verb = arguments[index]
        if verb.hasPrefix("-") { return Array(arguments[index...]) }
        return [verb] + moved + arguments[(index + 1)...]
    }

    /// Whether `word` is one of the global options, alone or with `=value`.
    static func isGlobalOption(_ word: String) -> Bool {
        globalOptions.contains { word == $0 || word.hasPrefix($0 + "=") }
    }

    /// The verb the user typed, if the first word is one (used to word parse errors).
    static func verb(in arguments: [String], known: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        return known.contains(first) ? first : nil
    }
}
