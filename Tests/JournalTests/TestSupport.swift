import Foundation
import GRDB
import Logging
@testable import Journal

/// A temporary directory removed when released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("journal-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String = "journal.sqlite") -> String {
        url.appendingPathComponent(name).path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

let quietLogger = Logger(label: "journal-tests", factory: { _ in SwiftLogNoOpLogHandler() })

let baseTime: Int64 = 1_760_000_000_000

/// Deterministic test records: odd seqs are alerts, even seqs events; recordedAt = baseTime + seq·1000.
func makeRecords(from first: UInt64, count: Int, bodySize: Int = 40) -> [JournalRecord] {
    let origins = ["border", "customs", "migration"]
    let categories = ["drug_trafficking", "irregular_migration", "smuggling_goods", "identity_fraud"]
    let sectors = ["north", "south"]
    return (0..<count).map { offset in
        let seq = first + UInt64(offset)
        let isAlert = seq % 2 == 1
        let body = (0..<bodySize).map { UInt8(truncatingIfNeeded: Int(seq) &* 31 &+ $0) }
        return JournalRecord(
            seq: seq,
            kind: isAlert ? .alert : .event,
            recordedAt: baseTime + Int64(seq) * 1000,
            observedAt: baseTime + Int64(seq) * 1000 - 250,
            origin: origins[Int(seq % 3)],
            alertID: "A-\(seq)",
            category: categories[Int(seq % 4)],
            incidentID: "INC-\(seq / 10)",
            msgType: isAlert ? "alert" : "incident_updated",
            sector: sectors[Int(seq % 2)],
            body: body)
    }
}

/// Opens a writer and appends `count` records (in batches of `batch`).
func makeJournal(_ path: String, count: Int, batch: Int = 100, durability: Durability = .os) throws -> JournalWriter {
    let writer = try JournalWriter(path: path, durability: durability, logger: quietLogger)
    var next = writer.lastSeq + 1
    var remaining = count
    while remaining > 0 {
        let size = min(batch, remaining)
        try writer.append(makeRecords(from: next, count: size))
        next += UInt64(size)
        remaining -= size
    }
    return writer
}

/// Runs plain SQL on the file, as an operator (or an attacker) with the sqlite3 shell would.
func tamper(_ path: String, _ sql: String, arguments: StatementArguments = []) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.writeWithoutTransaction { db in try db.execute(sql: sql, arguments: arguments) }
    try queue.close()
}

/// All records of a journal, through `scan`.
func allRecords(_ path: String, filter: RecordFilter = .all, chunkSize: Int = 1000) throws -> [JournalRecord] {
    let reader = try JournalReader(path: path)
    var records: [JournalRecord] = []
    try reader.scan(from: 1, through: .max, filter: filter, chunkSize: chunkSize) { record in
        records.append(record)
        return true
    }
    return records
}

func withoutHash(_ records: [JournalRecord]) -> [JournalRecord] {
    records.map { var copy = $0; copy.hash = []; return copy }
}

/// The query plan SQLite chooses for `sql`, as one string.
func queryPlan(_ path: String, _ sql: String, arguments: StatementArguments) throws -> String {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
            .map { $0["detail"] as String? ?? "" }
            .joined(separator: " | ")
    }
}
