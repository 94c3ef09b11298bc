/// The QoS and Queue rows of the ovs-vsctl front end: edits and their reference checks.
extension DesiredState {
    /// Adds or replaces `upsert` (by UUID) and removes the rows named in `delete`, in one step.
    public func applyingOVSRecords(upsert: [OVSRecord], delete: [String]) throws(ModelError) -> DesiredState {
        var next = self
        let gone = Set(delete)
        next.ovsRecords.removeAll { gone.contains($0.uuid) }
        for r in upsert {
            if let i = next.ovsRecords.firstIndex(where: { $0.uuid == r.uuid }) { next.ovsRecords[i] = r } else { next.ovsRecords.append(r) }
        }
        do { try next.validateOVSRecords() } catch { throw ModelError("could not change QoS records: \(error.message)") }
        return next
    }

    /// Rows valid, UUIDs unique, every QoS queue and every port's qos naming an existing row of the right table.
    public func validateOVSRecords() throws(ModelError) {
        guard ovsRecords.count <= 100_000 else { throw ModelError("more than 100000 QoS records") }
        var tables: [String: OVSRecord.Table] = [:]
        for r in ovsRecords {
            try r.validate()
            guard tables.updateValue(r.table, forKey: r.uuid) == nil else { throw ModelError("duplicate record \(r.uuid)") }
        }
        for r in ovsRecords {
            for (k, q) in r.queues where tables[q] != .queue {
                throw ModelError("QoS record \(r.uuid): queue \(k) names no Queue record (\(q))")
            }
        }
        for b in bridges {
            for p in b.ports {
                if let qos = p.ovs?.qos, tables[qos] != .qos {
                    throw ModelError("port \(p.name): qos names no QoS record (\(qos))")
                }
            }
        }
    }
}
