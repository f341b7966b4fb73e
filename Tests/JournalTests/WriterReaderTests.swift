import Foundation
import GRDB
import Testing
@testable import Journal

@Suite struct WriterReaderTests {
    @Test func appendAndReadRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try JournalWriter(path: path, durability: .os, logger: quietLogger)
        #expect(writer.lastSeq == 0)
        let input = makeRecords(from: 1, count: 25)
        #expect(try writer.append(input) == 25)
        #expect(writer.lastSeq == 25)

        let reader = try JournalReader(path: path)
        #expect(try reader.highSeq() == 25)
        #expect(try reader.lowSeq() == 1)
        let stored = try allRecords(path)
        #expect(withoutHash(stored) == input)

        // The stored hashes are the documented chain from the genesis hash.
        var chain = try reader.info().genesisHash
        #expect(chain.count == 32)
        for record in stored {
            chain = HashChain.hash(previous: chain, record: record)
            #expect(record.hash == chain)
        }
        #expect(writer.headHash == chain)
        #expect(try reader.info().headHash == chain)
        writer.close()
    }

    @Test func emptyAppendIsANoOp() throws {
        let dir = try TemporaryDirectory()
        let writer = try JournalWriter(path: dir.path(), durability: .os, logger: quietLogger)
        #expect(try writer.append([]) == 0)
        let reader = try JournalReader(path: dir.path())
        #expect(try reader.highSeq() == 0)
        #expect(try reader.lowSeq() == 1)
        #expect(try reader.verify(progress: nil) == .ok(records: 0, firstSeq: 1, lastSeq: 0, headHash: writer.headHash))
    }

    @Test func wrongSeqThrowsAndChangesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 10)
        let head = writer.headHash

        // A batch starting at the wrong seq.
        let skipping = makeRecords(from: 12, count: 3)
        let error = #expect(throws: JournalError.self) { try writer.append(skipping) }
        #expect(error?.code == .sequence)
        // A batch whose third record breaks contiguity.
        var broken = makeRecords(from: 11, count: 5)
        broken[2].seq = 99
        #expect(throws: JournalError.self) { try writer.append(broken) }
        // Re-appending an existing seq.
        #expect(throws: JournalError.self) { try writer.append(makeRecords(from: 10, count: 1)) }

        #expect(writer.lastSeq == 10)
        #expect(writer.headHash == head)
        #expect(try JournalReader(path: path).highSeq() == 10)
        #expect(try allRecords(path).count == 10)

        // The writer still works afterwards.
        #expect(try writer.append(makeRecords(from: 11, count: 2)) == 12)
        #expect(try JournalReader(path: path).verify(progress: nil) == .ok(
            records: 12, firstSeq: 1, lastSeq: 12, headHash: writer.headHash))
    }

    @Test func sqliteFailureMidBatchRollsBack() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 5)
        let head = writer.headHash
        // Record 7 is an alert with the same (origin, alert id) as record 1: the dedup index rejects it.
        var batch = makeRecords(from: 6, count: 4)
        batch[1].origin = "customs"   // seq 1's origin is origins[1 % 3]
        batch[1].alertID = "A-1"
        let error = #expect(throws: JournalError.self) { try writer.append(batch) }
        #expect(error?.code == .duplicateAlert)
        #expect(writer.lastSeq == 5)
        #expect(writer.headHash == head)
        let reader = try JournalReader(path: path)
        #expect(try reader.highSeq() == 5)
        #expect(try allRecords(path).count == 5)
        try writer.append(makeRecords(from: 6, count: 4))
        #expect(try reader.verify(progress: nil) == .ok(records: 9, firstSeq: 1, lastSeq: 9, headHash: writer.headHash))
    }

    @Test func reopenContinuesTheChain() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let first = try makeJournal(path, count: 30)
        let head = first.headHash
        first.close()
        #expect(throws: JournalError.self) { try first.append(makeRecords(from: 31, count: 1)) }

        let second = try JournalWriter(path: path, durability: .fsync, logger: quietLogger)
        #expect(second.lastSeq == 30)
        #expect(second.headHash == head)
        try second.append(makeRecords(from: 31, count: 20))
        second.close()

        let reader = try JournalReader(path: path)
        let report = try reader.verify(progress: nil)
        guard case .ok(let records, let firstSeq, let lastSeq, _) = report else {
            Issue.record("verify failed: \(report)")
            return
        }
        #expect(records == 50 && firstSeq == 1 && lastSeq == 50)
        #expect(withoutHash(try allRecords(path)) == makeRecords(from: 1, count: 50))
    }

    @Test func readerSeesAppendsWhileWriterIsOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 3)
        let reader = try JournalReader(path: path)
        #expect(try reader.highSeq() == 3)
        try writer.append(makeRecords(from: 4, count: 7))
        #expect(try reader.highSeq() == 10)
        #expect(try allRecords(path).count == 10)
        writer.close()
        // After the writer is gone (WAL files cleaned up) the reader can still open the file.
        #expect(try JournalReader(path: path).highSeq() == 10)
    }

    @Test(arguments: [Durability.fsync, Durability.os])
    func durabilitySettings(_ durability: Durability) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 20, batch: 5, durability: durability)
        let (synchronous, mode) = try writer.withDatabase { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(synchronous == (durability == .fsync ? 2 : 1))
        #expect(mode == "wal")
        writer.close()
        let reader = try JournalReader(path: path)
        #expect(try reader.highSeq() == 20)
        #expect(try allRecords(path).count == 20)
    }

    @Test func diskFullIsReportedAndChangesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 10)
        let head = writer.headHash
        let pages = try writer.withDatabase { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try writer.withDatabase { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        let error = #expect(throws: JournalError.self) {
            try writer.append(makeRecords(from: 11, count: 200, bodySize: 4000))
        }
        #expect(error?.isDiskFull == true)
        #expect(error?.description.contains(path) == true)
        #expect(writer.lastSeq == 10)
        #expect(writer.headHash == head)
        try writer.withDatabase { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try writer.append(makeRecords(from: 11, count: 2))
        #expect(try JournalReader(path: path).verify(progress: nil) == .ok(
            records: 12, firstSeq: 1, lastSeq: 12, headHash: writer.headHash))
    }

    @Test func canonicalBytesMatchTheDocumentedExample() {
        let record = JournalRecord(seq: 1, kind: .alert, recordedAt: 0, observedAt: 0, body: [0xAB])
        var expected: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 1]
        expected += [UInt8](repeating: 0, count: 16)
        expected += [UInt8](repeating: 0, count: 24)
        expected += [0, 0, 0, 1, 0xAB]
        #expect(HashChain.canonicalBytes(record) == expected)
        #expect(expected.count == 54)

        let full = JournalRecord(
            seq: 0x0102, kind: .event, recordedAt: -1, observedAt: 2, origin: "é",
            alertID: "", category: "c", incidentID: "", msgType: "", sector: "", body: [])
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 1, 2, 2]
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        bytes += [0, 0, 0, 0, 0, 0, 0, 2]
        bytes += [0, 0, 0, 2, 0xC3, 0xA9]   // origin "é" in UTF-8
        bytes += [0, 0, 0, 0]
        bytes += [0, 0, 0, 1, 0x63]
        bytes += [UInt8](repeating: 0, count: 16)
        #expect(HashChain.canonicalBytes(full) == bytes)
    }

    @Test func recordsWithEmptyFieldsRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try JournalWriter(path: path, durability: .os, logger: quietLogger)
        let records = [
            JournalRecord(seq: 1, kind: .event, recordedAt: 5, observedAt: 5, body: []),
            JournalRecord(seq: 2, kind: .alert, recordedAt: 6, observedAt: -7, origin: "o", alertID: "ü\u{0}x", body: [0]),
        ]
        try writer.append(records)
        #expect(withoutHash(try allRecords(path)) == records)
        #expect(try JournalReader(path: path).verify(progress: nil) == .ok(
            records: 2, firstSeq: 1, lastSeq: 2, headHash: writer.headHash))
    }
}
