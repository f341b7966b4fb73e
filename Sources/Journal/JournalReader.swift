import Foundation
import GRDB
import GRDBSQLite

/// A read-only view of a journal: replay, lookups, verification.
///
/// One per thread (sync thread, recovery, ibmctl); not Sendable. Works while a
/// ``JournalWriter`` appends, in this or another process (WAL): each call reads
/// one consistent snapshot; `scan` and `verify` take one snapshot per chunk.
public final class JournalReader {
    /// The journal file.
    public let path: String
    var queue: DatabaseQueue?

    /// Opens `path` read-only; fails if it is missing, not a journal, or of a newer schema version.
    ///
    /// `mappedBytes` lets SQLite read up to that much of the file through mmap instead of
    /// read(2), saving a copy of every page on long scans (replay). Safe here because the
    /// journal file never shrinks (no VACUUM), so a mapped page cannot vanish.
    public init(path: String, mappedBytes: Int = 0) throws(JournalError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw JournalError(.cannotOpen, operation: "open", path: path, message: "no journal file at this path")
        }
        var configuration = Configuration()
        configuration.label = "journal-reader"
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = false
        if mappedBytes > 0 {
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = \(mappedBytes)") }
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            _ = try queue.read { db in try JournalSchema.readMeta(db, path: path, operation: "open") }
            self.queue = queue
        } catch {
            throw JournalError.wrap(error, operation: "open", path: path)
        }
    }

    /// What `meta` says: genesis hash, head, retention anchor, size.
    public func info() throws(JournalError) -> JournalInfo {
        try read("info") { db in try JournalSchema.readMeta(db, path: path, operation: "info") }
    }

    /// Seq of the newest record (0 when empty).
    public func highSeq() throws(JournalError) -> UInt64 {
        try read("highSeq", singleStatement: true) { db in
            UInt64(max(0, try JournalSchema.metaInteger(db, MetaKey.headSeq) ?? 0))
        }
    }

    /// Seq of the oldest kept record (after retention); `highSeq() + 1` when no record is kept.
    public func lowSeq() throws(JournalError) -> UInt64 {
        try read("lowSeq") { db in
            if let low = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM records") {
                return UInt64(max(0, low))
            }
            return UInt64(max(0, try JournalSchema.metaInteger(db, MetaKey.headSeq) ?? 0)) + 1
        }
    }

    /// The newest checkpoint (highest seq), if any.
    public func latestCheckpoint() throws(JournalError) -> (seq: UInt64, state: [UInt8])? {
        try read("latestCheckpoint", singleStatement: true) { db in
            var result: (seq: UInt64, state: [UInt8])?
            let statement = try db.cachedStatement(sql: "SELECT seq, state FROM checkpoints ORDER BY seq DESC LIMIT 1")
            try db.forEachRawRow(statement) { row in
                result = (UInt64(bitPattern: row.int64(0)), row.bytes(1))
                return false
            }
            return result
        }
    }

    /// The journaled alert with this (origin, alert id), for dedup; uses the `records_alert_dedup` index.
    public func lookupAlert(origin: String, alertID: String) throws(JournalError) -> JournalRecord? {
        try read("lookupAlert", singleStatement: true) { db in
            let statement = try db.cachedStatement(sql: Self.lookupAlertSQL)
            statement.setUncheckedArguments([origin, alertID])
            var found: JournalRecord?
            try db.forEachRawRow(statement) { row in
                found = try decode(row, operation: "lookupAlert")
                return false
            }
            return found
        }
    }

    /// Seq of the first record recorded at or after `ms` (unix ms), by the `records_by_recorded_at` index.
    ///
    /// "First" is the smallest `recorded_at` ≥ `ms`, ties broken by seq; with the hub's
    /// non-decreasing clock this is the smallest such seq.
    public func firstSeq(recordedAtOrAfter ms: Int64) throws(JournalError) -> UInt64? {
        try read("firstSeq", singleStatement: true) { db in
            try Int64.fetchOne(db, sql: Self.firstSeqSQL, arguments: [ms]).map { UInt64(bitPattern: $0) }
        }
    }

    /// Visits records with seq in [`from`, `through`] in seq order, reading `chunkSize` rows at a time
    /// (memory does not grow with the range). `filter` is applied in SQL. `visit` returns false to stop.
    ///
    /// Errors thrown by `visit` are rethrown as they are; the journal's own failures are ``JournalError``.
    public func scan(
        from: UInt64, through: UInt64, filter: RecordFilter = .all, chunkSize: Int = 1000,
        _ visit: (JournalRecord) throws -> Bool
    ) throws {
        let operation = "scan"
        guard let (first, upper) = try scanRange(operation, from: from, through: through, filter: filter, chunkSize: chunkSize)
        else { return }
        var next = first
        let (sql, filterArguments) = Self.scanQuery(filter)
        var chunk: [JournalRecord] = []
        chunk.reserveCapacity(min(chunkSize, 65_536))
        while next <= upper {
            chunk.removeAll(keepingCapacity: true)
            let start = next
            try readChunk(operation, sql: sql, filterArguments: filterArguments, from: start, through: upper,
                          chunkSize: chunkSize) { row in
                chunk.append(try decode(row, operation: operation))
            }
            for record in chunk {
                if try !visit(record) { return }
            }
            guard chunk.count == chunkSize, let last = chunk.last, last.seq < upper else { return }
            next = last.seq + 1
        }
    }

    /// The replay fast path: like ``scan(from:through:filter:chunkSize:_:)`` but builds no
    /// ``JournalRecord``; `visit` gets each matching record's seq, kind and body bytes (valid only
    /// during the call). One buffer per chunk, so memory stays bounded. Return false to stop.
    public func scanBodies(
        from: UInt64, through: UInt64, filter: RecordFilter = .all, chunkSize: Int = 1000,
        _ visit: (_ seq: UInt64, _ kind: RecordKind, _ body: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let operation = "scanBodies"
        guard let (first, upper) = try scanRange(operation, from: from, through: through, filter: filter, chunkSize: chunkSize)
        else { return }
        var next = first
        let (sql, filterArguments) = Self.scanQuery(filter, columns: "seq, kind, body")
        var bytes: [UInt8] = []
        var entries: [(seq: UInt64, kind: RecordKind, end: Int)] = []
        entries.reserveCapacity(min(chunkSize, 65_536))
        while next <= upper {
            bytes.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
            let start = next
            try readChunk(operation, sql: sql, filterArguments: filterArguments, from: start, through: upper,
                          chunkSize: chunkSize) { row in
                let kindValue = row.int64(1)
                guard kindValue >= 0, kindValue <= 255, let kind = RecordKind(rawValue: UInt8(kindValue)) else {
                    throw JournalError(.corrupt, operation: operation, path: path,
                                       message: "record \(row.int64(0)) has an unknown kind \(kindValue)")
                }
                bytes.append(contentsOf: row.blobBytes(2))
                entries.append((UInt64(bitPattern: row.int64(0)), kind, bytes.count))
            }
            let stop = try bytes.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws -> Bool in
                var begin = 0
                for entry in entries {
                    if try !visit(entry.seq, entry.kind, UnsafeRawBufferPointer(rebasing: all[begin..<entry.end])) {
                        return true
                    }
                    begin = entry.end
                }
                return false
            }
            guard !stop, entries.count == chunkSize, let last = entries.last, last.seq < upper else { return }
            next = last.seq + 1
        }
    }

    /// Closes the connection; later calls throw `.closed`.
    public func close() {
        guard let queue else { return }
        self.queue = nil
        try? queue.close()
    }

    // MARK: - Internals

    /// Checks a scan's arguments; the seq range to read, or nil when there is nothing to read.
    private func scanRange(
        _ operation: String, from: UInt64, through: UInt64, filter: RecordFilter, chunkSize: Int
    ) throws(JournalError) -> (first: UInt64, upper: UInt64)? {
        guard queue != nil else { throw closedError(operation) }
        guard chunkSize > 0 else {
            throw JournalError(.invalidArgument, operation: operation, path: path, message: "chunkSize must be positive")
        }
        if let kinds = filter.kinds, kinds.isEmpty { return nil }
        let upper = min(through, UInt64(Int64.max))
        let first = max(from, 1)
        return first <= upper ? (first, upper) : nil
    }

    /// Runs one chunk of a scan query (at most `chunkSize` rows from seq `from`), row by row.
    private func readChunk(
        _ operation: String, sql: String, filterArguments: [(any DatabaseValueConvertible)?],
        from: UInt64, through upper: UInt64, chunkSize: Int, _ handle: (RawRow) throws -> Void
    ) throws {
        try read(operation, singleStatement: true) { db in
            let statement = try db.cachedStatement(sql: sql)
            var arguments: [(any DatabaseValueConvertible)?] = [Int64(from), Int64(upper)]
            arguments.append(contentsOf: filterArguments)
            arguments.append(chunkSize)
            statement.setUncheckedArguments(StatementArguments(arguments))
            try db.forEachRawRow(statement) { row in
                try handle(row)
                return true
            }
        }
    }

    static let lookupAlertSQL =
        "SELECT \(JournalSchema.recordColumns) FROM records WHERE kind = 1 AND origin = ? AND alert_id = ?"

    static let firstSeqSQL =
        "SELECT seq FROM records WHERE recorded_at >= ? ORDER BY recorded_at, seq LIMIT 1"

    /// The scan SQL for a filter, and the filter's arguments (after `from`, `through`; before the limit).
    ///
    /// Terms other than incident are written `+column` so SQLite walks the primary key in seq
    /// order instead of an index that would need a sort per chunk.
    static func scanQuery(
        _ filter: RecordFilter, columns: String = JournalSchema.recordColumns
    ) -> (String, [(any DatabaseValueConvertible)?]) {
        var sql = "SELECT \(columns) FROM records WHERE seq >= ? AND seq <= ?"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let kinds = filter.kinds, kinds.count < RecordKind.allCases.count {
            let list = kinds.map { String($0.rawValue) }.sorted().joined(separator: ", ")
            sql += " AND +kind IN (\(list))"
        }
        func list(_ column: String, _ values: [String]) {
            guard !values.isEmpty else { return }
            sql += " AND +\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))"
            arguments.append(contentsOf: values.map { $0 as (any DatabaseValueConvertible)? })
        }
        list("origin", filter.origins)
        list("category", filter.categories)
        list("sector", filter.sectors)
        if let incident = filter.incidentID {
            sql += " AND incident_id = ?"
            arguments.append(incident)
        }
        if let from = filter.recordedFrom {
            sql += " AND +recorded_at >= ?"
            arguments.append(from)
        }
        if let until = filter.recordedUntil {
            sql += " AND +recorded_at < ?"
            arguments.append(until)
        }
        sql += " ORDER BY seq LIMIT ?"
        return (sql, arguments)
    }

    func decode(_ row: RawRow, operation: String) throws -> JournalRecord {
        guard let record = row.record() else {
            throw JournalError(.corrupt, operation: operation, path: path,
                               message: "record \(row.int64(0)) has an unknown kind \(row.int64(1))")
        }
        return record
    }

    /// Runs `body` in one read transaction, mapping errors to ``JournalError``.
    ///
    /// With `singleStatement`, `body` runs ONE query and no explicit transaction is opened:
    /// SQLite gives that statement its own consistent snapshot, and the call is much cheaper.
    func read<T>(_ operation: String, singleStatement: Bool = false, _ body: (Database) throws -> T) throws(JournalError) -> T {
        guard let queue else { throw closedError(operation) }
        do {
            return singleStatement ? try queue.unsafeRead(body) : try queue.read(body)
        } catch {
            throw JournalError.wrap(error, operation: operation, path: path)
        }
    }

    func closedError(_ operation: String) -> JournalError {
        JournalError(.closed, operation: operation, path: path, message: "the journal reader is closed")
    }
}

@available(*, unavailable)
extension JournalReader: Sendable {}
