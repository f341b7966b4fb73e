import Foundation
import GRDB

/// The journal's SQLite schema (version 1) and its `meta` table.
///
/// Tables: `records` (one row per record, `seq` is the rowid), `checkpoints`
/// (the newest two state snapshots) and `meta` (key/value: format, schema
/// version, genesis hash, head, retention anchor). Hashes in `meta` are lower-case hex.
public enum JournalSchema {
    /// The schema version this build writes and reads.
    public static let version: Int64 = 1
    /// `meta.format` of every journal.
    public static let format = "ibm-hub-journal"
    /// `PRAGMA application_id` of every journal ("IBMJ"), so `file`-like tools can tell.
    public static let applicationID: Int32 = 0x4942_4D4A

    /// The CREATE statements, in order. Comments are kept by SQLite and show in `.schema`.
    public static let createStatements: [String] = [
        """
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY NOT NULL, -- format, schema_version, genesis_hash, head_seq, ...
          value NOT NULL                   -- integer or text; hashes are lower-case hex
        )
        """,
        """
        CREATE TABLE records (
          seq         INTEGER PRIMARY KEY, -- journal sequence number, contiguous from 1
          kind        INTEGER NOT NULL,    -- 1 = alert, 2 = picture event
          recorded_at INTEGER NOT NULL,    -- hub clock, unix ms
          observed_at INTEGER NOT NULL,    -- alert observed_at, unix ms
          origin      TEXT NOT NULL,       -- authenticated origin ('' when not applicable)
          alert_id    TEXT NOT NULL,
          category    TEXT NOT NULL,
          incident_id TEXT NOT NULL,
          msg_type    TEXT NOT NULL,
          sector      TEXT NOT NULL,
          body        BLOB NOT NULL,       -- protobuf bytes: ibm.v1 Alert (kind 1) or PictureEvent (kind 2)
          hash        BLOB NOT NULL        -- SHA-256(previous hash || canonical bytes of this row)
        )
        """,
        "CREATE INDEX records_by_recorded_at ON records (recorded_at)",
        "CREATE UNIQUE INDEX records_alert_dedup ON records (origin, alert_id) WHERE kind = 1",
        "CREATE INDEX records_by_incident ON records (incident_id)",
        """
        CREATE TABLE checkpoints (
          seq        INTEGER PRIMARY KEY,  -- the state covers records up to and including seq
          created_at INTEGER NOT NULL,     -- unix ms
          state      BLOB NOT NULL         -- opaque snapshot written by the hub
        )
        """,
        """
        CREATE VIEW records_readable AS
          SELECT seq,
                 CASE kind WHEN 1 THEN 'alert' WHEN 2 THEN 'event' ELSE kind END AS kind,
                 strftime('%Y-%m-%dT%H:%M:%fZ', recorded_at / 1000.0, 'unixepoch') AS recorded,
                 strftime('%Y-%m-%dT%H:%M:%fZ', observed_at / 1000.0, 'unixepoch') AS observed,
                 origin, alert_id, category, incident_id, msg_type, sector,
                 length(body) AS body_bytes, lower(hex(hash)) AS hash
          FROM records
        """,
    ]

    /// Column list of `records`, in canonical order.
    static let recordColumns =
        "seq, kind, recorded_at, observed_at, origin, alert_id, category, incident_id, msg_type, sector, body, hash"

    static let insertRecordSQL =
        "INSERT INTO records (\(recordColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// Bytes a record adds to `meta.record_bytes`: canonical length plus the 32-byte hash.
    static let recordSizeSQL = """
        85 + length(CAST(origin AS BLOB)) + length(CAST(alert_id AS BLOB)) + length(CAST(category AS BLOB)) \
        + length(CAST(incident_id AS BLOB)) + length(CAST(msg_type AS BLOB)) + length(CAST(sector AS BLOB)) \
        + length(CAST(body AS BLOB))
        """

    /// Fixed part of ``recordSizeSQL``: canonical fixed length (53) + hash (32).
    static let recordSizeOverhead = CanonicalEncoder.fixedLength + HashChain.hashLength
}

/// Meta keys (plain names, readable in the `sqlite3` shell).
enum MetaKey {
    static let format = "format"
    static let schemaVersion = "schema_version"
    static let createdAt = "created_at"
    static let chainRule = "chain_rule"
    static let genesisHash = "genesis_hash"
    static let headSeq = "head_seq"
    static let headHash = "head_hash"
    static let deletedThroughSeq = "deleted_through_seq"
    static let deletedThroughHash = "deleted_through_hash"
    static let recordBytes = "record_bytes"
}

/// What a journal's `meta` table says: schema version, chain genesis, head and retention anchor.
public struct JournalInfo: Sendable, Equatable {
    /// Schema version of the file.
    public var schemaVersion: Int64
    /// `hash(0)`: the random genesis value of this journal's chain.
    public var genesisHash: [UInt8]
    /// Seq of the newest record (0 when none was ever appended).
    public var headSeq: UInt64
    /// Chain hash of the newest record (the genesis hash when none).
    public var headHash: [UInt8]
    /// Seq of the last record removed by retention (0 when none): verification starts after it.
    public var deletedThroughSeq: UInt64
    /// Chain hash of that record (the genesis hash when none).
    public var deletedThroughHash: [UInt8]
    /// Sum of the sizes of the kept records (canonical bytes + 32-byte hash each).
    public var recordBytes: Int64
}

extension JournalSchema {
    /// True when the database has no schema objects at all (a new or empty file).
    static func isEmptyDatabase(_ db: Database) throws -> Bool {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        return count == 0
    }

    /// Creates the schema and the `meta` rows, in the caller's transaction.
    static func create(_ db: Database, nowMilliseconds: Int64) throws {
        for sql in createStatements {
            try db.execute(sql: sql)
        }
        let genesis = hexString(HashChain.randomGenesis())
        let rows: [(String, any DatabaseValueConvertible)] = [
            (MetaKey.format, format),
            (MetaKey.schemaVersion, version),
            (MetaKey.createdAt, nowMilliseconds),
            (MetaKey.chainRule, "hash(n) = SHA-256(hash(n-1) || canonical(n)); hash(0) = genesis_hash; see Protocols/README.md"),
            (MetaKey.genesisHash, genesis),
            (MetaKey.headSeq, Int64(0)),
            (MetaKey.headHash, genesis),
            (MetaKey.deletedThroughSeq, Int64(0)),
            (MetaKey.deletedThroughHash, genesis),
            (MetaKey.recordBytes, Int64(0)),
        ]
        for (key, value) in rows {
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
        }
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: "PRAGMA user_version = \(version)")
    }

    /// Reads and checks `meta`: fails with `.notAJournal`, `.newerSchema` or `.corrupt`.
    static func readMeta(_ db: Database, path: String, operation: String) throws -> JournalInfo {
        guard try db.tableExists("meta"), try db.tableExists("records") else {
            throw JournalError(.notAJournal, operation: operation, path: path,
                               message: "not an IBM Hub journal: the database has no `meta` and `records` tables")
        }
        var values: [String: DatabaseValue] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") {
            if let key = row[0] as String? { values[key] = row[1] as DatabaseValue }
        }
        func text(_ key: String) -> String? { values[key].flatMap { String.fromDatabaseValue($0) } }
        func integer(_ key: String) -> Int64? { values[key].flatMap { Int64.fromDatabaseValue($0) } }
        func corrupt(_ what: String) -> JournalError {
            JournalError(.corrupt, operation: operation, path: path, message: "meta.\(what) is missing or malformed")
        }
        guard text(MetaKey.format) == format else {
            throw JournalError(.notAJournal, operation: operation, path: path,
                               message: "not an IBM Hub journal: meta.format is not '\(format)'")
        }
        guard let schemaVersion = integer(MetaKey.schemaVersion) else { throw corrupt(MetaKey.schemaVersion) }
        if schemaVersion > version {
            throw JournalError(.newerSchema, operation: operation, path: path,
                               message: "the journal has schema version \(schemaVersion); this build reads up to \(version)")
        }
        guard schemaVersion >= 1 else { throw corrupt(MetaKey.schemaVersion) }
        func hash(_ key: String) throws -> [UInt8] {
            guard let hex = text(key), let bytes = bytesFromHex(hex), bytes.count == HashChain.hashLength
            else { throw corrupt(key) }
            return bytes
        }
        func sequence(_ key: String) throws -> UInt64 {
            guard let value = integer(key), value >= 0 else { throw corrupt(key) }
            return UInt64(value)
        }
        let meta = JournalInfo(
            schemaVersion: schemaVersion,
            genesisHash: try hash(MetaKey.genesisHash),
            headSeq: try sequence(MetaKey.headSeq),
            headHash: try hash(MetaKey.headHash),
            deletedThroughSeq: try sequence(MetaKey.deletedThroughSeq),
            deletedThroughHash: try hash(MetaKey.deletedThroughHash),
            recordBytes: integer(MetaKey.recordBytes) ?? 0
        )
        guard meta.deletedThroughSeq <= meta.headSeq else { throw corrupt(MetaKey.deletedThroughSeq) }
        return meta
    }

    /// Writes one meta value (the key must exist).
    static func setMeta(_ db: Database, _ key: String, _ value: any DatabaseValueConvertible) throws {
        let statement = try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE key = ?")
        try statement.execute(arguments: [value, key])
    }

    /// Reads one integer meta value.
    static func metaInteger(_ db: Database, _ key: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key])
    }
}

/// Unix ms from the system clock.
func currentMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
