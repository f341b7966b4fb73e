import Foundation
import GRDB
import IBMProtocol
import SwiftProtobuf

/// Where an alert stands on its way to the hub.
public enum DeliveryState: Sendable, Equatable {
    case queued
    case acked(seq: UInt64, outcome: String, incidentID: String, answeredAtMilliseconds: Int64)
    case nacked(code: String, reason: String, answeredAtMilliseconds: Int64)
}

/// One alert of the outbox, as `GET /v1/alerts/{id}` shows it.
public struct OutboxEntry: Sendable {
    public var position: Int64
    public var alert: Ibm_V1_Alert
    public var queuedAtMilliseconds: Int64
    public var source: String
    public var state: DeliveryState
    /// Times it was sent before its answer (0 while queued: counted in memory until then).
    public var attempts: Int
}

/// An alert read for sending.
struct PendingAlert: Sendable {
    var position: Int64
    var alertID: String
    var alert: Ibm_V1_Alert
}

/// The hub's final answer to one alert, to record.
struct RecordedAnswer: Sendable {
    var alertID: String
    var answer: DeliveryState
    /// Times it was sent, resends included.
    var attempts: Int
}

/// The durable outbox: one SQLite database (WAL) under the data folder.
///
/// Row order (`position`) is intake order, which is the order alerts are sent in. An
/// alert is in the file before its intake is answered; it leaves the `queued` state only
/// when the hub answers it for good.
public final class OutboxStore: Sendable {
    let pool: DatabasePool
    public let path: String

    static let queued = 0, acked = 1, nacked = 2

    public init(path: String, fsync: Bool) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "outbox"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(fsync ? "FULL" : "NORMAL")")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS outbox(
                      position INTEGER PRIMARY KEY AUTOINCREMENT,
                      alert_id TEXT NOT NULL UNIQUE,
                      body BLOB NOT NULL,              -- serialized ibm.v1.Alert
                      queued_at INTEGER NOT NULL,      -- Unix ms
                      source TEXT NOT NULL,            -- http, or spool:<file>
                      state INTEGER NOT NULL DEFAULT 0, -- 0 queued, 1 acked, 2 nacked
                      attempts INTEGER NOT NULL DEFAULT 0,
                      answered_at INTEGER,
                      seq INTEGER, outcome TEXT, incident_id TEXT,
                      nack_code TEXT, nack_reason TEXT);
                    CREATE INDEX IF NOT EXISTS outbox_queued ON outbox(position) WHERE state = 0;
                    CREATE INDEX IF NOT EXISTS outbox_answered ON outbox(answered_at) WHERE state <> 0;
                    """)
            }
        } catch {
            throw AgencyError.storage("cannot open the outbox \(path): \(error)")
        }
    }

    // MARK: Intake

    /// Stores each batch in one transaction and returns, per batch, the ids it holds.
    /// An id already queued or acked is kept as it is (an agency system resending is
    /// harmless); an id that was nacked is queued again with the new content.
    func store(_ batches: [(alerts: [Ibm_V1_Alert], source: String)], nowMilliseconds: Int64) throws -> [[String]] {
        try pool.write { db in
            let find = try db.makeStatement(sql: "SELECT state FROM outbox WHERE alert_id = ?")
            let remove = try db.makeStatement(sql: "DELETE FROM outbox WHERE alert_id = ?")
            let insert = try db.makeStatement(sql: "INSERT INTO outbox(alert_id, body, queued_at, source) VALUES (?, ?, ?, ?)")
            var result: [[String]] = []
            for batch in batches {
                var ids: [String] = []
                for alert in batch.alerts {
                    ids.append(alert.id)
                    if let state = try Int.fetchOne(find, arguments: [alert.id]) {
                        guard state == Self.nacked else { continue }
                        try remove.execute(arguments: [alert.id])
                    }
                    let body = Data(try alert.serializedBytes() as [UInt8])
                    try insert.execute(arguments: [alert.id, body, nowMilliseconds, batch.source])
                }
                result.append(ids)
            }
            return result
        }
    }

    // MARK: Sending

    /// Up to `limit` queued alerts after `position`, in order.
    func queued(after position: Int64, limit: Int) throws -> [PendingAlert] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT position, alert_id, body FROM outbox WHERE state = 0 AND position > ? ORDER BY position LIMIT ?
                """, arguments: [position, limit])
            return try rows.map { row in
                let body: Data = row["body"]
                return PendingAlert(position: row["position"], alertID: row["alert_id"], alert: try Ibm_V1_Alert(serializedBytes: body))
            }
        }
    }

    /// Records final answers in one transaction.
    func record(_ answers: [RecordedAnswer]) throws {
        guard !answers.isEmpty else { return }
        try pool.write { db in
            let ack = try db.makeStatement(sql: """
                UPDATE outbox SET state = 1, answered_at = ?, seq = ?, outcome = ?, incident_id = ?, attempts = ? WHERE alert_id = ? AND state = 0
                """)
            let nack = try db.makeStatement(sql: """
                UPDATE outbox SET state = 2, answered_at = ?, nack_code = ?, nack_reason = ?, attempts = ? WHERE alert_id = ? AND state = 0
                """)
            for answer in answers {
                switch answer.answer {
                case let .acked(seq, outcome, incident, at):
                    try ack.execute(arguments: [at, Int64(bitPattern: seq), outcome, incident, answer.attempts, answer.alertID])
                case let .nacked(code, reason, at):
                    try nack.execute(arguments: [at, code, reason, answer.attempts, answer.alertID])
                case .queued:
                    continue
                }
            }
        }
    }

    /// Deletes answered alerts answered before `cutoff`; returns how many.
    @discardableResult
    func prune(answeredBefore cutoff: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE state <> 0 AND answered_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    // MARK: Reading

    /// The alert `id` and its delivery state, or nil.
    public func entry(id: String) async throws -> OutboxEntry? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE alert_id = ?", arguments: [id]) else {
                return nil
            }
            return try Self.entry(row)
        }
    }

    /// Synchronous form of `entry(id:)`, for threads and tests.
    public func entrySync(id: String) throws -> OutboxEntry? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE alert_id = ?", arguments: [id]).map(Self.entry)
        }
    }

    /// Alerts not yet answered, and the queue time of the oldest of them.
    public func depth() async throws -> (count: Int, oldestQueuedAtMilliseconds: Int64?) {
        try await pool.read { db in try Self.depth(db) }
    }

    public func depthSync() throws -> (count: Int, oldestQueuedAtMilliseconds: Int64?) {
        try pool.read { db in try Self.depth(db) }
    }

    /// Every entry in position order (tests and operators; reads the whole table).
    public func allEntries() throws -> [OutboxEntry] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY position").map(Self.entry) }
    }

    private static func depth(_ db: Database) throws -> (count: Int, oldestQueuedAtMilliseconds: Int64?) {
        let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MIN(queued_at) AS oldest FROM outbox WHERE state = 0")
        return (row?["n"] ?? 0, row?["oldest"])
    }

    private static func entry(_ row: Row) throws -> OutboxEntry {
        let body: Data = row["body"]
        let state: DeliveryState
        switch row["state"] as Int {
        case acked:
            state = .acked(seq: UInt64(bitPattern: row["seq"] ?? 0), outcome: row["outcome"] ?? "",
                           incidentID: row["incident_id"] ?? "", answeredAtMilliseconds: row["answered_at"] ?? 0)
        case nacked:
            state = .nacked(code: row["nack_code"] ?? "", reason: row["nack_reason"] ?? "",
                            answeredAtMilliseconds: row["answered_at"] ?? 0)
        default:
            state = .queued
        }
        return OutboxEntry(position: row["position"], alert: try Ibm_V1_Alert(serializedBytes: body),
                           queuedAtMilliseconds: row["queued_at"], source: row["source"], state: state,
                           attempts: row["attempts"])
    }
}

func currentMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
