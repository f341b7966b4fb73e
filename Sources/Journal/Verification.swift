import GRDB
import GRDBSQLite

/// The outcome of ``JournalReader/verify(progress:)``.
public enum VerificationReport: Sendable, Equatable {
    /// What is wrong at the first bad seq.
    public enum Problem: String, Sendable, Equatable {
        /// The record's contents or hash were changed.
        case altered
        /// A record is absent (a gap, a missing oldest record, or a removed tail).
        case missing
        /// The record stored here belongs at another seq (records exchanged or moved).
        case outOfOrder
    }

    /// Every kept record chains from the anchor (genesis, or the last record deleted by retention).
    /// `records` is 0 (and `firstSeq` = `lastSeq` + 1) when no record is kept.
    case ok(records: UInt64, firstSeq: UInt64, lastSeq: UInt64, headHash: [UInt8])
    /// The first bad seq, what is wrong there, and a human-readable explanation.
    case broken(seq: UInt64, problem: Problem, detail: String)
}

extension JournalReader {
    /// Rows read per snapshot while verifying.
    static let verifyChunk = 4096
    /// How many rows after a bad record are searched for the record that belongs there.
    static let reorderSearchWindow = 100_000

    /// Recomputes the hash chain from the anchor (`meta.deleted_through_*`, or the genesis hash)
    /// over every kept record, in seq order and in bounded chunks, and reports the FIRST bad seq.
    ///
    /// `progress` is called after each chunk with the last seq checked. The genesis hash and
    /// anchor are in ``info()``.
    public func verify(progress: ((UInt64) -> Void)? = nil) throws(JournalError) -> VerificationReport {
        let operation = "verify"
        var anchorSeq: UInt64 = 0
        var chain: [UInt8] = []
        var expected: UInt64 = 0
        var started = false
        var finished = false
        var failure: (seq: UInt64, problem: VerificationReport.Problem, detail: String)?
        var storedHashAtFailure: [UInt8] = []
        var encoder = CanonicalEncoder()

        while !finished && failure == nil {
            try read(operation) { db in
                if !started {
                    let info = try JournalSchema.readMeta(db, path: path, operation: operation)
                    anchorSeq = info.deletedThroughSeq
                    chain = info.deletedThroughHash
                    expected = anchorSeq + 1
                    started = true
                }
                let statement = try db.cachedStatement(sql: Self.verifySQL)
                statement.setUncheckedArguments([Int64(bitPattern: expected), Self.verifyChunk])
                var count = 0
                try db.forEachRawRow(statement) { row in
                    count += 1
                    let seq = UInt64(bitPattern: row.int64(0))
                    guard seq == expected else {
                        let detail = expected == anchorSeq + 1
                            ? "the oldest kept record should be \(expected) (retention anchor is \(anchorSeq)) but the oldest stored is \(seq)"
                            : "record \(expected) is missing (the next stored record is \(seq))"
                        failure = (expected, .missing, detail)
                        return false
                    }
                    guard Self.encodeStored(row, seq: seq, into: &encoder) else {
                        failure = (seq, .altered, "record \(seq) has a column of the wrong type or an unknown kind")
                        return false
                    }
                    let stored = row.blobBytes(11)
                    guard stored.count == HashChain.hashLength, encoder.chainHash(previous: chain, equals: stored) else {
                        storedHashAtFailure = [UInt8](stored)
                        failure = (seq, .altered, "record \(seq) does not match its hash: its contents or hash were changed")
                        return false
                    }
                    chain.withUnsafeMutableBytes { $0.copyMemory(from: stored) }
                    expected += 1
                    return true
                }
                if failure == nil && count < Self.verifyChunk {
                    finished = true
                    let head = UInt64(max(0, try JournalSchema.metaInteger(db, MetaKey.headSeq) ?? 0))
                    if head >= expected {
                        failure = (expected, .missing,
                                   "meta.head_seq is \(head) but the newest stored record is \(expected - 1): record \(expected) onward is missing")
                    } else if head + 1 < expected {
                        failure = (head + 1, .altered,
                                   "record \(head + 1) is beyond meta.head_seq (\(head)): it was added outside the journal writer")
                    }
                }
            }
            if failure == nil { progress?(expected - 1) }
        }

        if let found = failure {
            if found.problem == .altered,
               let home = try findDisplaced(belongingAt: found.seq, previous: chain, storedHash: storedHashAtFailure) {
                return .broken(seq: found.seq, problem: .outOfOrder, detail: """
                    record \(found.seq) is out of order: the record that belongs at seq \(found.seq) is stored at seq \(home) \
                    (records exchanged or moved)
                    """)
            }
            return .broken(seq: found.seq, problem: found.problem, detail: found.detail)
        }
        let last = expected - 1
        return .ok(records: last - anchorSeq, firstSeq: anchorSeq + 1, lastSeq: last, headHash: chain)
    }

    static let verifySQL =
        "SELECT \(JournalSchema.recordColumns) FROM records WHERE seq >= ? ORDER BY seq LIMIT ?"

    /// Encodes a stored row's canonical bytes as if it were at `seq`, from the raw column bytes
    /// (no UTF-8 repair); false if a column has the wrong type or `kind` is not 1 or 2.
    static func encodeStored(_ row: RawRow, seq: UInt64, into encoder: inout CanonicalEncoder) -> Bool {
        guard row.type(1) == SQLITE_INTEGER, row.type(2) == SQLITE_INTEGER, row.type(3) == SQLITE_INTEGER,
              row.type(10) == SQLITE_BLOB,
              row.type(11) == SQLITE_BLOB
        else { return false }
        for column: Int32 in 4...9 where row.type(column) != SQLITE_TEXT { return false }
        let kind = row.int64(1)
        guard kind == Int64(RecordKind.alert.rawValue) || kind == Int64(RecordKind.event.rawValue) else { return false }
        encoder.begin(seq: seq, kind: UInt8(kind), recordedAt: row.int64(2), observedAt: row.int64(3))
        for column: Int32 in 4...9 {
            encoder.field(row.textBytes(column))
        }
        encoder.field(row.blobBytes(10))
        return true
    }

    /// After record `seq` failed its hash: looks, in the rows that follow (bounded window), for the
    /// row whose contents hash correctly at `seq` (a swap or a move). Returns its current seq.
    func findDisplaced(belongingAt seq: UInt64, previous: [UInt8], storedHash: [UInt8]) throws(JournalError) -> UInt64? {
        var next = seq + 1
        var searched = 0
        var found: UInt64?
        var exhausted = false
        var encoder = CanonicalEncoder()
        while found == nil && !exhausted && searched < Self.reorderSearchWindow {
            try read("verify") { db in
                let statement = try db.cachedStatement(sql: Self.verifySQL)
                statement.setUncheckedArguments([Int64(bitPattern: next), Self.verifyChunk])
                var count = 0
                try db.forEachRawRow(statement) { row in
                    count += 1
                    searched += 1
                    let candidate = UInt64(bitPattern: row.int64(0))
                    next = candidate + 1
                    if Self.encodeStored(row, seq: seq, into: &encoder) {
                        let hash = encoder.chainHash(previous: previous)
                        // Contents exchanged (hash left in place), or whole rows exchanged (hash moved too).
                        if hash == storedHash || hash.elementsEqual(row.blobBytes(11)) {
                            found = candidate
                            return false
                        }
                    }
                    return searched < Self.reorderSearchWindow
                }
                if count < Self.verifyChunk { exhausted = true }
            }
        }
        return found
    }
}
