import CSwitchSync

/// The part of the MAC table that lock-free readers use: the buckets, the slots and the removal
/// sequence number. Any number of threads look entries up through `find` while one writer at a
/// time (holding the table's lock) changes them; a reader never takes the lock and never waits for
/// a writer except while a writer shifts buckets back after a removal (a few stores).
///
/// How a reader stays correct without a lock:
/// - Every word a reader reads (a bucket's key and slot, a slot's value and stamp, `removals`) is
///   read and written with atomic loads and stores (CSwitchSync), never torn.
/// - A new entry is published by storing its bucket's key last, with release ordering, after its
///   slot: a reader that sees the key sees the whole entry.
/// - A move or a refresh is one atomic store of a slot's value (port and remote in one word) or
///   stamp: a reader sees the old port or the new one.
/// - A removal moves buckets back (backward-shift deletion) and frees the slot for reuse; it runs
///   between two increments of `removals` (odd while it runs), a sequence lock: a reader that saw a
///   removal begin or end while it probed tries again, so it neither misses a present entry because
///   of a shift nor returns a reused slot's value.
///
/// The arrays are replaced only by `MACTableCore.grow`, on the control path, while no other thread
/// uses the table (the datapath is quiesced).
struct MACTableView {
    /// One bucket of the open-addressing index. `key` 0 = empty (VLAN 0 is never a key); `slot` is
    /// always a valid slot index (stale in an empty bucket), so a racing reader never reads out of bounds.
    struct Bucket {
        var key: UInt64
        var slot: Int32
    }

    var buckets: UnsafeMutablePointer<Bucket>
    var bucketShift: UInt64
    var bucketMask: Int
    var slots: UnsafeMutablePointer<MACTableCore.Slot>
    /// The removal sequence lock (word 0 of its own cache line) and, in word 1, `refreshMillis`
    /// (read by every learning, written only by configuration: the line stays shared, never bounced).
    let removals: UnsafeMutableRawPointer

    /// Learning stores a new last-seen time only when the entry's is at least this many
    /// milliseconds old (1: every new millisecond). Coarser, the threads of a bridge seeing the
    /// same source MAC do not write its entry (nor take the table's lock) once per millisecond
    /// each: aging and eviction then run at most this much early.
    @inline(__always)
    var refreshMillis: Int64 { Int64(bitPattern: tp_sw_load_relaxed_u64(removals + 8)) }

    func setRefreshMillis(_ ms: Int64) { tp_sw_store_relaxed_u64(removals + 8, UInt64(bitPattern: max(1, ms))) }

    #if DEBUG
    /// Where a lookup calls `probeHook` (tests only): right after it read a bucket holding its key
    /// (the slot index read, the slot's value not yet), or a bucket holding another key (before it
    /// reads the next one).
    enum ProbePoint: Sendable { case keyMatched, bucketPassed }
    /// Tests only (debug builds; release builds have neither the field nor the call): runs on the
    /// looking-up thread inside `find`, between reading the table and validating what it read, so
    /// that a test can make a removal (a backward shift, a slot reused) land exactly there.
    var probeHook: (@Sendable (ProbePoint) -> Void)? = nil
    #endif

    @inline(__always)
    func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> bucketShift) }

    /// The value (port << 32 | remote) and stamp (last seen, or `MACTableCore.staticStamp`) of
    /// `key`, or nil: a consistent view of the table at some moment during the call.
    @inline(__always)
    func find(_ key: UInt64) -> (value: UInt64, stamp: Int64)? {
        while true {
            let before = tp_sw_load_acquire_u64(removals)
            if before & 1 != 0 { tp_sw_spin_pause(); continue }
            var i = home(key)
            var found = false
            var value: UInt64 = 0, stamp: UInt64 = 0
            var probes = 0
            while probes <= bucketMask {
                let b = UnsafeRawPointer(buckets + i)
                let k = tp_sw_load_acquire_u64(b)
                if k == key {
                    let s = UnsafeRawPointer(slots + Int(Int32(bitPattern: tp_sw_load_relaxed_u32(b + 8))))
                    #if DEBUG
                    probeHook?(.keyMatched)
                    #endif
                    value = tp_sw_load_relaxed_u64(s)
                    stamp = tp_sw_load_relaxed_u64(s + 8)
                    found = true
                    break
                }
                if k == 0 { break }
                #if DEBUG
                probeHook?(.bucketPassed)
                #endif
                i = (i + 1) & bucketMask
                probes += 1
            }
            tp_sw_fence_acquire()
            if tp_sw_load_relaxed_u64(removals) == before {
                return found ? (value, Int64(bitPattern: stamp)) : nil
            }
        }
    }

    /// Learning without the lock when it changes nothing: the entry is static, or already on
    /// `port` behind `remote` and seen less than `refreshMillis` before `now` (by any thread).
    /// nil: take the lock and call `MACTableCore.learnLocked`.
    @inline(__always)
    func learnWithoutChange(_ key: UInt64, port: UInt32, remote: UInt32, now: Int64) -> MACLearningTable.LearnOutcome? {
        guard let (value, stamp) = find(key) else { return nil }
        if stamp == MACTableCore.staticStamp { return .staticEntry }
        if value == MACTableCore.pack(port, remote) && now &- stamp < refreshMillis { return .refreshed }
        return nil
    }

    // MARK: - writer side (the table's lock held)

    @inline(__always)
    func storeBucket(_ i: Int, key: UInt64, slot: Int32) {
        let b = UnsafeMutableRawPointer(buckets + i)
        tp_sw_store_relaxed_u32(b + 8, UInt32(bitPattern: slot))
        tp_sw_store_release_u64(b, key)
    }

    /// Empties bucket `i` (its slot index stays: a racing reader still reads a valid slot).
    @inline(__always)
    func clearBucket(_ i: Int) { tp_sw_store_relaxed_u64(UnsafeMutableRawPointer(buckets + i), 0) }

    @inline(__always)
    func storeValue(_ s: Int32, _ value: UInt64) { tp_sw_store_relaxed_u64(UnsafeMutableRawPointer(slots + Int(s)), value) }

    @inline(__always)
    func storeStamp(_ s: Int32, _ stamp: Int64) {
        tp_sw_store_relaxed_u64(UnsafeMutableRawPointer(slots + Int(s)) + 8, UInt64(bitPattern: stamp))
    }

    /// Opens a removal: readers that overlap it retry.
    @inline(__always)
    func beginRemoval() {
        tp_sw_store_relaxed_u64(removals, tp_sw_load_relaxed_u64(removals) &+ 1)
        tp_sw_fence_release()
    }

    @inline(__always)
    func endRemoval() { tp_sw_store_release_u64(removals, tp_sw_load_relaxed_u64(removals) &+ 1) }
}
