/// The database verbs of ovs-vsctl: `get`, `set`, `add`, `remove`, `clear`, `list`, `find`,
/// `create`, `destroy`, over the tables of `OVSSchema`.
extension OVSDatabase {
    /// `set`'s `COLUMN[:KEY]=VALUE` on one row.
    mutating func setColumn(_ row: RowRef, _ table: OVSTable, _ text: String) throws(OVSError) {
        let arg = try OVSColumnArgument(text)
        let column = try table.column(arg.column)
        guard arg.op == "=", let value = arg.value else { throw OVSError("\(text): argument does not end in \"=\" followed by a value") }
        if let key = arg.key {
            guard column.type.isMap else { throw OVSError("cannot specify key to set for non-map column \(column.name)") }
            let k = try column.type.keyAtom(from: key)
            let v = try column.type.valueAtom(from: value)
            var d = datum(row, column)
            var keys = d.keys, values = d.values ?? []
            if let i = keys.firstIndex(of: k) { values[i] = v } else { keys.append(k); values.append(v) }
            d = OVSDatum(keys: keys, values: values)
            try setDatum(row, table, column, d)
        } else {
            try setDatum(row, table, column, try column.type.datum(from: value))
        }
    }

    mutating func get(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count >= 2 else { throw OVSError("'get' command requires at least 2 arguments (TABLE RECORD [COLUMN[:KEY]]...)") }
        if c.has("id") { throw OVSError("get --id is not supported by tapestry-ovs-vsctl") }
        let table = try OVSTable.named(c.arguments[0])
        guard let row = row(table, c.arguments[1]) else {
            if c.has("if-exists") { return "" }
            throw OVSError("no row \"\(c.arguments[1])\" in table \(table.rawValue)")
        }
        var out = ""
        for text in c.arguments.dropFirst(2) {
            let arg = try OVSColumnArgument(text)
            guard arg.op == nil else { throw OVSError("\(text): value not accepted here (get COLUMN[:KEY])") }
            let column = try table.column(arg.column)
            let d = datum(row, column)
            if let key = arg.key {
                guard column.type.isMap else { throw OVSError("cannot specify key to get for non-map column \(column.name)") }
                let k = try column.type.keyAtom(from: key)
                guard let v = d.value(forKey: k) else {
                    if c.has("if-exists") { continue }
                    throw OVSError("no key \"\(k.text)\" in \(table.rawValue) record \"\(c.arguments[1])\" column \(column.name)")
                }
                out += v.quotedText + "\n"
            } else {
                out += d.formatted(.string, type: column.type) + "\n"
            }
        }
        return out
    }

    mutating func set(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count >= 3 else { throw OVSError("'set' command requires at least 3 arguments (TABLE RECORD COLUMN[:KEY]=VALUE...)") }
        let table = try OVSTable.named(c.arguments[0])
        guard let row = row(table, c.arguments[1]) else {
            if c.has("if-exists") { return "" }
            throw OVSError("no row \"\(c.arguments[1])\" in table \(table.rawValue)")
        }
        for text in c.arguments.dropFirst(2) { try setColumn(row, table, text) }
        return ""
    }

    mutating func addOrRemove(_ c: OVSCommandLine.Command, remove: Bool) throws(OVSError) -> String {
        guard c.arguments.count >= 4 else {
            throw OVSError("'\(c.verb)' command requires at least 4 arguments (TABLE RECORD COLUMN VALUE...)")
        }
        let table = try OVSTable.named(c.arguments[0])
        guard let row = row(table, c.arguments[1]) else {
            if c.has("if-exists") { return "" }
            throw OVSError("no row \"\(c.arguments[1])\" in table \(table.rawValue)")
        }
        let column = try table.column(c.arguments[2])
        var d = datum(row, column)
        for text in c.arguments.dropFirst(3) {
            if column.type.isMap {
                var keys = d.keys, values = d.values ?? []
                if text.contains("=") {
                    let one = try OVSColumnType(key: column.type.key, value: column.type.value, min: 0, max: Int.max).datum(from: text)
                    for (k, v) in zip(one.keys, one.values ?? []) {
                        if remove {
                            if let i = keys.firstIndex(of: k), values[i] == v { keys.remove(at: i); values.remove(at: i) }
                        } else if !keys.contains(k) {
                            keys.append(k); values.append(v)
                        }
                    }
                } else {
                    guard remove else { throw OVSError("\"\(text)\": expected key=value to add to map column \(column.name)") }
                    let k = try column.type.keyAtom(from: text)
                    if let i = keys.firstIndex(of: k) { keys.remove(at: i); values.remove(at: i) }
                }
                d = OVSDatum(keys: keys, values: values)
            } else {
                let elems = try OVSColumnType(key: column.type.key, value: nil, min: 0, max: Int.max).datum(from: text).keys
                var keys = d.keys
                if remove { keys.removeAll { elems.contains($0) } } else { keys += elems.filter { !keys.contains($0) } }
                guard keys.count >= column.type.min else {
                    throw OVSError("\"remove\" operation would put \(keys.count) values in column \(column.name) of table \(table.rawValue) but the minimum number is \(column.type.min)")
                }
                guard keys.count <= column.type.max else {
                    throw OVSError("\"add\" operation would put \(keys.count) values in column \(column.name) of table \(table.rawValue) but the maximum number is \(column.type.max)")
                }
                d = OVSDatum(keys: keys)
            }
        }
        try setDatum(row, table, column, d)
        return ""
    }

    mutating func clear(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count >= 3 else { throw OVSError("'clear' command requires at least 3 arguments (TABLE RECORD COLUMN...)") }
        let table = try OVSTable.named(c.arguments[0])
        guard let row = row(table, c.arguments[1]) else {
            if c.has("if-exists") { return "" }
            throw OVSError("no row \"\(c.arguments[1])\" in table \(table.rawValue)")
        }
        for name in c.arguments.dropFirst(2) {
            let column = try table.column(name)
            guard column.type.min == 0 else {
                throw OVSError("\"clear\" operation cannot be applied to column \(column.name) of table \(table.rawValue), which is not allowed to be empty")
            }
            try setDatum(row, table, column, column.type.isMap ? .emptyMap : OVSDatum())
        }
        return ""
    }

    /// The columns `--columns=a,b` names (all columns when absent).
    func selectedColumns(_ c: OVSCommandLine.Command, _ table: OVSTable) throws(OVSError) -> [OVSTable.Column] {
        guard let spec = c.options["columns"] else { return table.columns }
        var out: [OVSTable.Column] = []
        for name in spec.split(separator: ",") { out.append(try table.column(String(name))) }
        guard !out.isEmpty else { throw OVSError("--columns needs at least one column") }
        return out
    }

    func list(_ c: OVSCommandLine.Command, _ style: OVSOutputStyle) throws(OVSError) -> String {
        guard let first = c.arguments.first else { throw OVSError("'list' command requires at least 1 argument (TABLE [RECORD]...)") }
        let table = try OVSTable.named(first)
        let columns = try selectedColumns(c, table)
        var rows: [RowRef] = []
        if c.arguments.count == 1 { rows = self.rows(table) } else {
            for id in c.arguments.dropFirst() {
                if let r = row(table, id) { rows.append(r) } else if !c.has("if-exists") {
                    throw OVSError("no row \"\(id)\" in table \(table.rawValue)")
                }
            }
        }
        return render(rows, columns, style)
    }

    func find(_ c: OVSCommandLine.Command, _ style: OVSOutputStyle) throws(OVSError) -> String {
        guard let first = c.arguments.first else { throw OVSError("'find' command requires at least 1 argument (TABLE [COLUMN[:KEY]=VALUE]...)") }
        let table = try OVSTable.named(first)
        let columns = try selectedColumns(c, table)
        var conditions: [(OVSTable.Column, OVSAtom?, String, OVSDatum)] = []
        for text in c.arguments.dropFirst() {
            let arg = try OVSColumnArgument(text, allowConditions: true)
            guard let op = arg.op, let value = arg.value else { throw OVSError("\(text): expected COLUMN[:KEY]=VALUE or !=") }
            let column = try table.column(arg.column)
            if let key = arg.key {
                guard column.type.isMap else { throw OVSError("cannot specify key for non-map column \(column.name)") }
                let k = try column.type.keyAtom(from: key)
                conditions.append((column, k, op, OVSDatum(keys: [try column.type.valueAtom(from: value)])))
            } else {
                conditions.append((column, nil, op, try OVSColumnType(key: column.type.key, value: column.type.value, min: 0, max: Int.max).datum(from: value)))
            }
        }
        let rows = self.rows(table).filter { row in
            conditions.allSatisfy { column, key, op, want in
                let have = datum(row, column)
                let equal: Bool
                if let key { equal = have.value(forKey: key).map { OVSDatum(keys: [$0]) } == want } else { equal = have == want }
                return op == "=" ? equal : !equal
            }
        }
        return render(rows, columns, style)
    }

    mutating func create(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard let first = c.arguments.first else { throw OVSError("'create' command requires at least 1 argument (TABLE [COLUMN[:KEY]=VALUE]...)") }
        let table = try OVSTable.named(first)
        guard table == .qos || table == .queue else {
            throw OVSError("tapestry-ovs-vsctl creates rows in the QoS and Queue tables only (use add-br or add-port for \(table.rawValue))")
        }
        var uuid = makeUUID()
        if let id = c.options["id"] {
            if id.hasPrefix("@") {
                guard symbols[id] == nil else { throw OVSError("row id \"\(id)\" may only be specified on one --id option") }
                symbols[id] = uuid
            } else {
                guard OVSUUID.isValid(id.lowercased()) else { throw OVSError("row id \"\(id)\" does not begin with \"@\" and is not a UUID") }
                uuid = id.lowercased()
                guard records[uuid] == nil else { throw OVSError("a row with UUID \(uuid) already exists") }
            }
        }
        records[uuid] = RecordRow(table: table == .qos ? .qos : .queue, uuid: uuid, type: "", otherConfig: [:], queues: [:], externalIDs: [:])
        for text in c.arguments.dropFirst() { try setColumn(.record(uuid), table, text) }
        return uuid + "\n"
    }

    mutating func destroy(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard let first = c.arguments.first else { throw OVSError("'destroy' command requires at least 1 argument (TABLE [RECORD]...)") }
        let table = try OVSTable.named(first)
        guard table == .qos || table == .queue else {
            throw OVSError("tapestry-ovs-vsctl destroys rows of the QoS and Queue tables only (use del-br or del-port for \(table.rawValue))")
        }
        if c.has("all") {
            guard c.arguments.count == 1 else { throw OVSError("--all and records argument should not be specified together") }
            for case .record(let u) in rows(table) { records[u] = nil }
            return ""
        }
        guard c.arguments.count > 1 else { throw OVSError("neither --all nor records argument specified for destroy") }
        for id in c.arguments.dropFirst() {
            guard case .record(let u)? = row(table, id) else {
                if c.has("if-exists") { continue }
                throw OVSError("no row \"\(id)\" in table \(table.rawValue)")
            }
            records[u] = nil
        }
        return ""
    }
}
