/// etcd refuses a transaction with more than `--max-txn-ops` operations (128 unless raised):
/// batches of writes are split to fit.
public enum ClusterTxnLimit {
    /// etcd's default `--max-txn-ops`.
    public static let maxOps = 128

    /// `items` in order, in chunks of at most `size` (at least 1).
    public static func chunks<T>(_ items: [T], size: Int = maxOps) -> [[T]] {
        let n = max(1, size)
        return stride(from: 0, to: items.count, by: n).map { Array(items[$0..<min($0 + n, items.count)]) }
    }
}
