import GRDB

/// Limits on what the journal keeps; `nil` means no limit of that kind. The strictest limit wins.
public struct RetentionPolicy: Sendable, Equatable {
    /// Delete records recorded more than this long before `now`.
    public var maxAgeMilliseconds: Int64?
    /// Keep at most this many records.
    public var maxRecords: UInt64?
    /// Keep at most this many bytes of records (canonical bytes + hash, see ``JournalInfo/recordBytes``).
    public var maxBytes: Int64?

    /// A policy; every limit defaults to none.
    public init(maxAgeMilliseconds: Int64? = nil, maxRecords: UInt64? = nil, maxBytes: Int64? = nil) {
        self.maxAgeMilliseconds = maxAgeMilliseconds
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
    }
}

/// What ``JournalWriter/applyRetention(_:now:)`` did.
public struct RetentionResult: Sendable, Equatable {
    /// Records deleted.
    public var deletedRecords: UInt64
    /// Checkpoints deleted (those older than the kept range).
    public var deletedCheckpoints: Int
    /// Seq of the oldest kept record afterwards (`lastSeq + 1` when none is kept).
    public var lowSeq: UInt64
    /// True when the policy asked to delete past the latest checkpoint (or there is no checkpoint):
    /// write a newer checkpoint to let retention go further.
    public var heldBackByCheckpoint: Bool
}

extension JournalWriter {
    /// Records deleted per transaction, so the WAL stays bounded.
    static let retentionChunk: UInt64 = 50_000

    /// Deletes the oldest records that exceed `policy` (by age relative to `now` in unix ms,
    /// count, or size), never one newer than the latest checkpoint's seq (so nothing at all
    /// without a checkpoint). Stores the seq and hash of the last deleted record in `meta`
    /// (`deleted_through_seq`, `deleted_through_hash`) so verification chains from the oldest
    /// kept record, and deletes checkpoints older than the kept range.
    public func applyRetention(_ policy: RetentionPolicy, now: Int64) throws(JournalError) -> RetentionResult {
        let operation = "applyRetention"
        guard let queue else { throw closedError(operation) }
        let anchor = deletedThroughSeq
        let head = lastSeq
        let bytes = recordBytes
        do {
            let (wanted, limit) = try queue.read { db -> (UInt64, UInt64) in
                let newestCheckpoint = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM checkpoints")
                let limit = min(newestCheckpoint.map { UInt64(max(0, $0)) } ?? anchor, head)
                var wanted = anchor
                if let maxRecords = policy.maxRecords, head - anchor > maxRecords {
                    wanted = max(wanted, head - maxRecords)
                }
                if let maxAge = policy.maxAgeMilliseconds {
                    let (threshold, overflow) = now.subtractingReportingOverflow(maxAge)
                    if !overflow {
                        let firstYoung = try Int64.fetchOne(db, sql: """
                            SELECT seq FROM records WHERE seq > ? AND +recorded_at >= ? ORDER BY seq LIMIT 1
                            """, arguments: [Int64(anchor), threshold])
                        wanted = max(wanted, firstYoung.map { UInt64(max(1, $0)) - 1 } ?? head)
                    }
                }
                if let maxBytes = policy.maxBytes, bytes > maxBytes {
                    var remaining = bytes
                    var cut = head
                    let statement = try db.makeStatement(sql: """
                        SELECT seq, \(JournalSchema.recordSizeSQL) FROM records WHERE seq > ? ORDER BY seq
                        """)
                    statement.setUncheckedArguments([Int64(anchor)])
                    try db.forEachRawRow(statement) { row in
                        remaining -= row.int64(1)
                        guard remaining <= maxBytes else { return true }
                        cut = UInt64(bitPattern: row.int64(0))
                        return false
                    }
                    wanted = max(wanted, cut)
                }
                return (wanted, limit)
            }
            let cut = min(wanted, limit)
            var deletedRecords: UInt64 = 0
            var deletedCheckpoints = 0
            var done = anchor
            while done < cut {
                let end = min(done + Self.retentionChunk, cut)
                var removedBytes: Int64 = 0
                try queue.inTransaction(.immediate) { db in
                    var endHash: [UInt8] = []
                    let hashStatement = try db.cachedStatement(sql: "SELECT hash FROM records WHERE seq = ?")
                    hashStatement.setUncheckedArguments([Int64(end)])
                    try db.forEachRawRow(hashStatement) { row in
                        endHash = row.bytes(0)
                        return false
                    }
                    guard endHash.count == HashChain.hashLength else {
                        throw JournalError(.corrupt, operation: operation, path: path,
                                           message: "record \(end) is missing or has no valid hash; run `ibmctl verify`")
                    }
                    removedBytes = try Int64.fetchOne(db, sql: """
                        SELECT coalesce(sum(\(JournalSchema.recordSizeSQL)), 0) FROM records WHERE seq > ? AND seq <= ?
                        """, arguments: [Int64(done), Int64(end)]) ?? 0
                    try db.execute(sql: "DELETE FROM records WHERE seq <= ?", arguments: [Int64(end)])
                    deletedRecords += UInt64(db.changesCount)
                    try JournalSchema.setMeta(db, MetaKey.deletedThroughSeq, Int64(end))
                    try JournalSchema.setMeta(db, MetaKey.deletedThroughHash, hexString(endHash))
                    try JournalSchema.setMeta(db, MetaKey.recordBytes, recordBytes - removedBytes)
                    if end == cut {
                        try db.execute(sql: "DELETE FROM checkpoints WHERE seq < ?", arguments: [Int64(cut)])
                        deletedCheckpoints = db.changesCount
                    }
                    return .commit
                }
                deletedThroughSeq = end
                recordBytes -= removedBytes
                done = end
            }
            let result = RetentionResult(
                deletedRecords: deletedRecords,
                deletedCheckpoints: deletedCheckpoints,
                lowSeq: max(anchor, cut) + 1,
                heldBackByCheckpoint: wanted > limit)
            if deletedRecords > 0 || result.heldBackByCheckpoint {
                logger.info("journal retention", metadata: [
                    "path": "\(path)", "deletedRecords": "\(deletedRecords)", "lowSeq": "\(result.lowSeq)",
                    "heldBackByCheckpoint": "\(result.heldBackByCheckpoint)",
                ])
            }
            return result
        } catch {
            throw JournalError.wrap(error, operation: operation, path: path)
        }
    }
}
