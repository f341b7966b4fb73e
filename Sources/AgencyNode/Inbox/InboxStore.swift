import Foundation
import GRDB
import IBMProtocol
import SwiftProtobuf

/// The local inbox: the incidents of the shared picture released to this agency, and
/// the recent picture events (bounded), in one SQLite database (WAL). It is what
/// `/v1/picture` and `/v1/feed` read, and where the follower resumes after a restart.
public final class InboxStore: Sendable {
    let pool: DatabasePool
    public let path: String
    private let maxEvents: Int

    public init(path: String, maxEvents: Int) throws {
        self.path = path
        self.maxEvents = maxEvents
        var configuration = Configuration()
        configuration.label = "inbox"
        configuration.busyMode = .timeout(10)
        // The hub holds the truth; a lost tail is replayed from it, so the OS may decide when to sync.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS incidents(
                      id TEXT PRIMARY KEY, category TEXT NOT NULL, updated_seq INTEGER NOT NULL,
                      body BLOB NOT NULL);                 -- serialized ibm.v1.Incident
                    CREATE TABLE IF NOT EXISTS events(
                      seq INTEGER PRIMARY KEY, category TEXT NOT NULL, received_at INTEGER NOT NULL,
                      body BLOB NOT NULL);                 -- serialized ibm.v1.PictureEvent
                    CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    """)
            }
        } catch {
            throw AgencyError.storage("cannot open the inbox \(path): \(error)")
        }
    }

    /// The seq the picture is current through, for the follower to resume from.
    func lastSeq() throws -> UInt64 {
        try pool.read { db in try Self.lastSeq(db) }
    }

    /// Replaces the picture with a snapshot taken at `seq` (events already kept stay for resumption).
    func replace(with incidents: [String: Ibm_V1_Incident], seq: UInt64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM incidents")
            let insert = try db.makeStatement(sql: "INSERT INTO incidents(id, category, updated_seq, body) VALUES (?, ?, ?, ?)")
            for incident in incidents.values {
                try insert.execute(arguments: [incident.id, incident.category.jsonName ?? "", Int64(bitPattern: incident.updatedSeq),
                                               Data(try incident.serializedBytes() as [UInt8])])
            }
            try Self.setLastSeq(db, seq)
            // Events up to the snapshot that the inbox never saw cannot be streamed.
            try Self.set(db, "floor", max(seq, try Self.get(db, "floor")))
        }
    }

    /// Applies events (in seq order) in one transaction, keeping at most `maxEvents` of them.
    func apply(_ events: [Ibm_V1_PictureEvent]) throws {
        guard let last = events.last else { return }
        try pool.write { db in
            let upsert = try db.makeStatement(sql: """
                INSERT INTO incidents(id, category, updated_seq, body) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET category = excluded.category, updated_seq = excluded.updated_seq, body = excluded.body
                """)
            let remove = try db.makeStatement(sql: "DELETE FROM incidents WHERE id = ?")
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO events(seq, category, received_at, body) VALUES (?, ?, ?, ?)")
            let now = currentMilliseconds()
            for event in events {
                let incident = event.incident
                if event.kind == .closed {
                    try remove.execute(arguments: [incident.id])
                } else {
                    try upsert.execute(arguments: [incident.id, incident.category.jsonName ?? "", Int64(bitPattern: incident.updatedSeq),
                                                   Data(try incident.serializedBytes() as [UInt8])])
                }
                try insert.execute(arguments: [Int64(bitPattern: event.seq), incident.category.jsonName ?? "", now,
                                               Data(try event.serializedBytes() as [UInt8])])
            }
            try Self.setLastSeq(db, last.seq)
            if let cutoff = try Int64.fetchOne(db, sql: "SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?",
                                               arguments: [maxEvents]) {
                try db.execute(sql: "DELETE FROM events WHERE seq <= ?", arguments: [cutoff])
                try Self.set(db, "floor", UInt64(bitPattern: cutoff))
            }
        }
    }

    // MARK: Reading (HTTP)

    /// Open incidents, newest activity first, optionally only of `categories`.
    public func incidents(categories: Set<String>? = nil) async throws -> [Ibm_V1_Incident] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT category, body FROM incidents ORDER BY updated_seq DESC")
                .filter { row in categories.map { $0.contains(row["category"] as String) } ?? true }
                .map { row in try Ibm_V1_Incident(serializedBytes: row["body"] as Data) }
        }
    }

    /// Up to `limit` events after `seq`, in order.
    public func events(after seq: UInt64, limit: Int) async throws -> [Ibm_V1_PictureEvent] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                              arguments: [Int64(bitPattern: seq), limit])
                .map { try Ibm_V1_PictureEvent(serializedBytes: $0) }
        }
    }

    /// The seq the inbox is current through, and the floor: events at or below it are not
    /// kept (trimmed by `max_events`, or before the snapshot the inbox started from).
    public func bounds() async throws -> (lastSeq: UInt64, floor: UInt64) {
        try await pool.read { db in (try Self.get(db, "last_seq"), try Self.get(db, "floor")) }
    }

    private static func lastSeq(_ db: Database) throws -> UInt64 {
        try get(db, "last_seq")
    }

    private static func setLastSeq(_ db: Database, _ seq: UInt64) throws {
        try set(db, "last_seq", seq)
    }

    private static func get(_ db: Database, _ key: String) throws -> UInt64 {
        UInt64(bitPattern: try Int64.fetchOne(db, sql: "SELECT value FROM state WHERE key = ?", arguments: [key]) ?? 0)
    }

    private static func set(_ db: Database, _ key: String, _ value: UInt64) throws {
        try db.execute(sql: "INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, Int64(bitPattern: value)])
    }
}
