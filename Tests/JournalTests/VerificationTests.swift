import Foundation
import GRDB
import Testing
@testable import Journal

@Suite struct VerificationTests {
    /// A closed journal of `count` records, and its head hash.
    func journal(_ dir: TemporaryDirectory, count: Int = 40) throws -> (String, [UInt8]) {
        let path = dir.path()
        let writer = try makeJournal(path, count: count, batch: 7)
        let head = writer.headHash
        writer.close()
        return (path, head)
    }

    func verify(_ path: String) throws -> VerificationReport {
        try JournalReader(path: path).verify(progress: nil)
    }

    /// "seq:problem" for a broken report, "ok" otherwise.
    func summary(_ report: VerificationReport) -> String {
        if case .broken(let seq, let problem, _) = report { return "\(seq):\(problem.rawValue)" }
        return "ok"
    }

    @Test func goodJournalVerifies() throws {
        let dir = try TemporaryDirectory()
        let (path, head) = try journal(dir)
        var progressed: [UInt64] = []
        let report = try JournalReader(path: path).verify { progressed.append($0) }
        #expect(report == .ok(records: 40, firstSeq: 1, lastSeq: 40, headHash: head))
        #expect(progressed.last == 40)
    }

    @Test func verifyWalksManyChunks() throws {
        let dir = try TemporaryDirectory()
        let (path, head) = try journal(dir, count: JournalReader.verifyChunk * 2 + 5)
        let count = UInt64(JournalReader.verifyChunk * 2 + 5)
        var calls = 0
        let report = try JournalReader(path: path).verify { _ in calls += 1 }
        #expect(report == .ok(records: count, firstSeq: 1, lastSeq: count, headHash: head))
        #expect(calls == 3)
    }

    @Test func flippedByteInABodyIsAltered() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        // Flip one bit of one byte of record 17's body, with plain SQL.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            var body = try [UInt8](Data.fetchOne(db, sql: "SELECT body FROM records WHERE seq = 17") ?? Data())
            body[5] ^= 0x01
            try db.execute(sql: "UPDATE records SET body = ? WHERE seq = 17", arguments: [Data(body)])
        }
        try queue.close()
        #expect(summary(try verify(path)) == "17:altered")
    }

    @Test func alteredTextColumnAndHashAreAltered() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        try tamper(path, "UPDATE records SET category = 'other' WHERE seq = 30")
        #expect(summary(try verify(path)) == "30:altered")

        let dir2 = try TemporaryDirectory()
        let (path2, _) = try journal(dir2)
        try tamper(path2, "UPDATE records SET hash = zeroblob(32) WHERE seq = 12")
        #expect(summary(try verify(path2)) == "12:altered")

        let dir3 = try TemporaryDirectory()
        let (path3, _) = try journal(dir3)
        try tamper(path3, "UPDATE records SET kind = 257 WHERE seq = 9")   // 257 & 0xFF == 1
        #expect(summary(try verify(path3)) == "9:altered")
    }

    @Test func deletedRecordIsMissing() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        try tamper(path, "DELETE FROM records WHERE seq = 23")
        let report = try verify(path)
        #expect(summary(report) == "23:missing")
    }

    @Test func deletedFirstAndLastRecordsAreMissing() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        try tamper(path, "DELETE FROM records WHERE seq = 1")
        #expect(summary(try verify(path)) == "1:missing")

        let dir2 = try TemporaryDirectory()
        let (path2, _) = try journal(dir2)
        try tamper(path2, "DELETE FROM records WHERE seq >= 39")
        #expect(summary(try verify(path2)) == "39:missing")
        // The writer refuses to continue a journal whose tail was removed.
        let error = #expect(throws: JournalError.self) {
            try JournalWriter(path: path2, durability: .os, logger: quietLogger)
        }
        #expect(error?.code == .corrupt)
    }

    @Test func swappedRecordsAreOutOfOrderAtTheLowerSeq() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        // Exchange whole rows 11 and 26 (hashes travel with their rows).
        try tamper(path, """
            UPDATE records SET seq = -1 WHERE seq = 11;
            UPDATE records SET seq = 11 WHERE seq = 26;
            UPDATE records SET seq = 26 WHERE seq = -1;
            """)
        let report = try verify(path)
        #expect(summary(report) == "11:outOfOrder")
        if case .broken(_, _, let detail) = report { #expect(detail.contains("26")) }
    }

    @Test func adjacentSwapIsOutOfOrder() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        try tamper(path, """
            UPDATE records SET seq = -1 WHERE seq = 5;
            UPDATE records SET seq = 5 WHERE seq = 6;
            UPDATE records SET seq = 6 WHERE seq = -1;
            """)
        #expect(summary(try verify(path)) == "5:outOfOrder")
    }

    @Test func swappedContentsWithHashesLeftInPlaceAreOutOfOrder() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        // Two events (not in the alert dedup index), so the exchange violates no constraint.
        let columns = "kind, recorded_at, observed_at, origin, alert_id, category, incident_id, msg_type, sector, body"
        try tamper(path, """
            CREATE TEMP TABLE saved AS SELECT \(columns) FROM records WHERE seq = 14;
            UPDATE records SET (\(columns)) = (SELECT \(columns) FROM records WHERE seq = 32) WHERE seq = 14;
            UPDATE records SET (\(columns)) = (SELECT \(columns) FROM saved) WHERE seq = 32;
            """)
        #expect(summary(try verify(path)) == "14:outOfOrder")
    }

    @Test func recordAppendedOutsideTheWriterIsReported() throws {
        let dir = try TemporaryDirectory()
        let (path, head) = try journal(dir)
        // A correctly chained record 41, but written with plain SQL (meta.head_seq not moved).
        var forged = makeRecords(from: 41, count: 1)[0]
        forged.hash = HashChain.hash(previous: head, record: forged)
        try tamper(path, """
            INSERT INTO records (\(JournalSchema.recordColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                Int64(forged.seq), Int64(forged.kind.rawValue), forged.recordedAt, forged.observedAt, forged.origin,
                forged.alertID, forged.category, forged.incidentID, forged.msgType, forged.sector,
                Data(forged.body), Data(forged.hash),
            ])
        #expect(summary(try verify(path)) == "41:altered")
    }

    @Test func forgedRecordInPlaceIsAltered() throws {
        let dir = try TemporaryDirectory()
        let (path, _) = try journal(dir)
        // Overwrite record 20 with forged contents and a bogus hash.
        try tamper(path, """
            UPDATE records SET body = x'00', hash = zeroblob(32) WHERE seq = 20
            """)
        #expect(summary(try verify(path)) == "20:altered")
    }
}
