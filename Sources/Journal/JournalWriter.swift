import Foundation
import GRDB
import GRDBSQLite
import Logging

/// The only writer of a journal file: appends records (group commit), checkpoints and retention.
///
/// Confined to one thread (the hub's writer thread); not Sendable. Readers
/// (``JournalReader``) may run in other threads or processes at the same time (WAL).
public final class JournalWriter {
    /// The journal file.
    public let path: String
    /// How commits are synced.
    public let durability: Durability
    let logger: Logger
    var queue: DatabaseQueue?
    /// Seq of the newest record; 0 when empty.
    public internal(set) var lastSeq: UInt64
    /// Chain hash of the newest record (the genesis hash when empty).
    public internal(set) var headHash: [UInt8]
    /// Seq of the last record removed by retention (0 when none).
    public internal(set) var deletedThroughSeq: UInt64
    /// Sum of the sizes of the kept records (see ``JournalInfo/recordBytes``).
    var recordBytes: Int64
    private var encoder = CanonicalEncoder()

    /// Opens the journal at `path`, creating the file, schema and genesis hash if it does not exist
    /// (or is an empty file); otherwise checks that it is a journal of a supported schema version
    /// and that its head matches its newest record.
    public init(path: String, durability: Durability, logger: Logger) throws(JournalError) {
        self.path = path
        self.durability = durability
        self.logger = logger
        var configuration = Configuration()
        configuration.label = "journal-writer"
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = false
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let (info, created) = try queue.writeWithoutTransaction { db -> (JournalInfo, Bool) in
                var created = false
                if try JournalSchema.isEmptyDatabase(db) {
                    try Self.enableWAL(db, path: path)
                    try db.inTransaction(.immediate) {
                        if try JournalSchema.isEmptyDatabase(db) {
                            try JournalSchema.create(db, nowMilliseconds: currentMilliseconds())
                            created = true
                        }
                        return .commit
                    }
                }
                let info = try JournalSchema.readMeta(db, path: path, operation: "open")
                try Self.enableWAL(db, path: path)
                try db.execute(sql: "PRAGMA synchronous = \(durability == .fsync ? "FULL" : "NORMAL")")
                try Self.checkHead(db, info: info, path: path)
                return (info, created)
            }
            self.queue = queue
            lastSeq = info.headSeq
            headHash = info.headHash
            deletedThroughSeq = info.deletedThroughSeq
            recordBytes = info.recordBytes
            logger.info("journal \(created ? "created" : "opened")", metadata: [
                "path": "\(path)", "lastSeq": "\(lastSeq)", "durability": "\(durability.rawValue)",
            ])
        } catch {
            throw JournalError.wrap(error, operation: "open", path: path)
        }
    }

    /// Appends `records` in ONE transaction (group commit) and returns the new ``lastSeq``.
    ///
    /// Each record's seq must be `lastSeq+1, +2, …`; the writer computes every `hash`.
    /// On any failure the transaction is rolled back and `lastSeq`/`headHash` are unchanged.
    @discardableResult
    public func append(_ records: [JournalRecord]) throws(JournalError) -> UInt64 {
        let operation = "append"
        guard let queue else { throw closedError(operation) }
        guard !records.isEmpty else { return lastSeq }
        let first = lastSeq + 1
        for (offset, record) in records.enumerated() where record.seq != first + UInt64(offset) {
            throw JournalError(.sequence, operation: operation, path: path,
                               message: "record \(offset) of the batch has seq \(record.seq); expected \(first + UInt64(offset)) (last seq is \(lastSeq))")
        }
        let newLast = lastSeq + UInt64(records.count)
        guard newLast <= UInt64(Int64.max) else {
            throw JournalError(.invalidArgument, operation: operation, path: path, message: "seq overflow")
        }
        for record in records {
            if let problem = Self.sizeProblem(record) {
                throw JournalError(.invalidArgument, operation: operation, path: path,
                                   message: "record \(record.seq): \(problem)")
            }
        }
        var chain = headHash
        var added: Int64 = 0
        let expectedHead = Int64(lastSeq)
        do {
            try queue.inTransaction(.immediate) { db in
                guard try JournalSchema.metaInteger(db, MetaKey.headSeq) == expectedHead else {
                    throw JournalError(.corrupt, operation: operation, path: path,
                                       message: "the journal's head moved behind this writer's back (another writer?)")
                }
                let insert = try db.cachedStatement(sql: JournalSchema.insertRecordSQL)
                for record in records {
                    encoder.encode(record)
                    encoder.advance(&chain)
                    try insertEncoded(db, insert, record, chain: chain)
                    added += Int64(encoder.bytes.count + HashChain.hashLength)
                }
                try JournalSchema.setMeta(db, MetaKey.headSeq, Int64(newLast))
                try JournalSchema.setMeta(db, MetaKey.headHash, hexString(chain))
                try JournalSchema.setMeta(db, MetaKey.recordBytes, recordBytes + added)
                return .commit
            }
        } catch {
            let failure = JournalError.wrap(error, operation: operation, path: path)
            logger.warning("journal append failed", metadata: ["error": "\(failure)"])
            throw failure
        }
        lastSeq = newLast
        headHash = chain
        recordBytes += added
        return newLast
    }

    /// Stores a state snapshot covering records up to and including `seq`; keeps the newest 2
    /// (highest seq). A checkpoint with the same seq is replaced.
    public func writeCheckpoint(seq: UInt64, state: [UInt8]) throws(JournalError) {
        let operation = "writeCheckpoint"
        guard let queue else { throw closedError(operation) }
        guard seq <= lastSeq, seq >= deletedThroughSeq else {
            throw JournalError(.invalidArgument, operation: operation, path: path,
                               message: "checkpoint seq \(seq) is outside the kept range \(deletedThroughSeq)...\(lastSeq)")
        }
        do {
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO checkpoints (seq, created_at, state) VALUES (?, ?, ?)",
                    arguments: [Int64(seq), currentMilliseconds(), Data(state)])
                try db.execute(sql: """
                    DELETE FROM checkpoints
                    WHERE seq NOT IN (SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT 2)
                    """)
                return .commit
            }
        } catch {
            throw JournalError.wrap(error, operation: operation, path: path)
        }
    }

    /// Closes the database; later calls throw `.closed`. Safe to call twice.
    public func close() {
        guard let queue else { return }
        self.queue = nil
        do {
            try queue.close()
        } catch {
            logger.warning("journal close failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    // MARK: - Internals

    /// Binds the encoded record straight from the encoder's buffer (no copy) and inserts it.
    private func insertEncoded(_ db: Database, _ insert: Statement, _ record: JournalRecord, chain: [UInt8]) throws {
        let handle = insert.sqliteStatement
        let ranges = encoder.fieldRanges
        try encoder.bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            guard let base = raw.baseAddress, ranges.count == 7 else {
                throw DatabaseError(message: "internal error: record encoding is incomplete")
            }
            try chain.withUnsafeBytes { (hash: UnsafeRawBufferPointer) throws in
                var rc = sqlite3_bind_int64(handle, 1, Int64(bitPattern: record.seq))
                rc |= sqlite3_bind_int64(handle, 2, Int64(record.kind.rawValue))
                rc |= sqlite3_bind_int64(handle, 3, record.recordedAt)
                rc |= sqlite3_bind_int64(handle, 4, record.observedAt)
                for column in 0..<6 {
                    let range = ranges[column]
                    rc |= sqlite3_bind_text(
                        handle, Int32(5 + column),
                        base.advanced(by: range.lowerBound).assumingMemoryBound(to: CChar.self),
                        Int32(range.count), nil)
                }
                let body = ranges[6]
                rc |= sqlite3_bind_blob(handle, 11, base.advanced(by: body.lowerBound), Int32(body.count), nil)
                rc |= sqlite3_bind_blob(handle, 12, hash.baseAddress, Int32(hash.count), nil)
                guard rc == SQLITE_OK else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "binding record \(record.seq) failed")
                }
                try db.stepDone(insert)
            }
        }
    }

    /// Sets `PRAGMA journal_mode = WAL` and checks that SQLite agreed.
    static func enableWAL(_ db: Database, path: String) throws {
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw JournalError(.sqlite, operation: "open", path: path,
                               message: "SQLite refused WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
    }

    /// Checks that `meta.head_seq`/`head_hash` match the newest record (or the retention anchor when empty).
    static func checkHead(_ db: Database, info: JournalInfo, path: String) throws {
        var newestSeq = info.deletedThroughSeq
        var newestHash = info.deletedThroughHash
        let statement = try db.cachedStatement(sql: "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1")
        try db.forEachRawRow(statement) { row in
            newestSeq = UInt64(bitPattern: row.int64(0))
            newestHash = row.bytes(1)
            return false
        }
        guard newestSeq == info.headSeq, newestHash == info.headHash else {
            throw JournalError(.corrupt, operation: "open", path: path, message: """
                meta.head_seq is \(info.headSeq) but the newest record is \(newestSeq) \
                (or its hash differs from meta.head_hash): records were added or removed outside the journal; \
                run `ibmctl verify`
                """)
        }
    }

    /// Why a record cannot be stored (strings and body are limited to 1,000,000,000 bytes), or nil.
    static func sizeProblem(_ record: JournalRecord) -> String? {
        let limit = 1_000_000_000
        if record.body.count > limit { return "body is larger than \(limit) bytes" }
        if record.origin.utf8.count > limit || record.alertID.utf8.count > limit
            || record.category.utf8.count > limit || record.incidentID.utf8.count > limit
            || record.msgType.utf8.count > limit || record.sector.utf8.count > limit {
            return "a text field is larger than \(limit) bytes"
        }
        return nil
    }

    func closedError(_ operation: String) -> JournalError {
        JournalError(.closed, operation: operation, path: path, message: "the journal writer is closed")
    }

    /// Runs `body` on the writer's connection (tests and tools).
    func withDatabase<T>(_ body: (Database) throws -> T) throws -> T {
        guard let queue else { throw closedError("database access") }
        return try queue.writeWithoutTransaction(body)
    }
}

@available(*, unavailable)
extension JournalWriter: Sendable {}
