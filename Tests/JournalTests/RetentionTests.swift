import Foundation
import GRDB
import Testing
@testable import Journal

@Suite struct CheckpointAndRetentionTests {
    @Test func checkpointsKeepTheNewestTwo() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 20)
        let reader = try JournalReader(path: path)
        #expect(try reader.latestCheckpoint() == nil)

        try writer.writeCheckpoint(seq: 5, state: [1])
        #expect(try reader.latestCheckpoint()?.seq == 5)
        try writer.writeCheckpoint(seq: 10, state: [2, 2])
        try writer.writeCheckpoint(seq: 15, state: [3, 3, 3])
        let latest = try reader.latestCheckpoint()
        #expect(latest?.seq == 15)
        #expect(latest?.state == [3, 3, 3])
        let kept = try DatabaseQueue(path: path).read { db in
            try Int64.fetchAll(db, sql: "SELECT seq FROM checkpoints ORDER BY seq")
        }
        #expect(kept == [10, 15])

        // Same seq replaces; a checkpoint past the head is refused.
        try writer.writeCheckpoint(seq: 15, state: [9])
        #expect(try reader.latestCheckpoint()?.state == [9])
        let error = #expect(throws: JournalError.self) { try writer.writeCheckpoint(seq: 21, state: []) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func retentionByCountStopsAtTheCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 100)
        let reader = try JournalReader(path: path)

        // Without a checkpoint nothing may go.
        let none = try writer.applyRetention(RetentionPolicy(maxRecords: 30), now: baseTime)
        #expect(none == RetentionResult(deletedRecords: 0, deletedCheckpoints: 0, lowSeq: 1, heldBackByCheckpoint: true))
        #expect(try reader.lowSeq() == 1)

        try writer.writeCheckpoint(seq: 40, state: [4])
        try writer.writeCheckpoint(seq: 60, state: [6])
        let result = try writer.applyRetention(RetentionPolicy(maxRecords: 30), now: baseTime)
        // 70 should go, but record 61 onward is newer than the latest checkpoint.
        #expect(result == RetentionResult(deletedRecords: 60, deletedCheckpoints: 1, lowSeq: 61, heldBackByCheckpoint: true))
        #expect(try reader.lowSeq() == 61)
        #expect(try reader.highSeq() == 100)
        #expect(try reader.latestCheckpoint()?.seq == 60)
        #expect(try reader.verify(progress: nil) == .ok(records: 40, firstSeq: 61, lastSeq: 100, headHash: writer.headHash))
        let info = try reader.info()
        #expect(info.deletedThroughSeq == 60)

        // Later checkpoint: the count limit is reached exactly.
        try writer.writeCheckpoint(seq: 95, state: [9])
        let second = try writer.applyRetention(RetentionPolicy(maxRecords: 30), now: baseTime)
        #expect(second == RetentionResult(deletedRecords: 10, deletedCheckpoints: 1, lowSeq: 71, heldBackByCheckpoint: false))
        #expect(try reader.verify(progress: nil) == .ok(records: 30, firstSeq: 71, lastSeq: 100, headHash: writer.headHash))

        // The chain continues after a reopen.
        writer.close()
        let reopened = try JournalWriter(path: path, durability: .os, logger: quietLogger)
        #expect(reopened.lastSeq == 100)
        try reopened.append(makeRecords(from: 101, count: 10))
        #expect(try reader.verify(progress: nil) == .ok(records: 40, firstSeq: 71, lastSeq: 110, headHash: reopened.headHash))
        // Tampering with the oldest kept record is still caught.
        try tamper(path, "UPDATE records SET sector = 'x' WHERE seq = 71")
        if case .broken(let seq, let problem, _) = try reader.verify(progress: nil) {
            #expect(seq == 71 && problem == .altered)
        } else {
            Issue.record("tampering not detected")
        }
    }

    @Test func retentionByAge() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 100)   // recordedAt = baseTime + seq·1000
        try writer.writeCheckpoint(seq: 80, state: [8])
        // Keep what was recorded in the last 50 s before baseTime + 100 s: seq 50 onward.
        let result = try writer.applyRetention(
            RetentionPolicy(maxAgeMilliseconds: 50_000), now: baseTime + 100_000)
        #expect(result == RetentionResult(deletedRecords: 49, deletedCheckpoints: 0, lowSeq: 50, heldBackByCheckpoint: false))
        let reader = try JournalReader(path: path)
        #expect(try reader.lowSeq() == 50)
        #expect(try reader.verify(progress: nil) == .ok(records: 51, firstSeq: 50, lastSeq: 100, headHash: writer.headHash))

        // Everything is old now, but nothing newer than the checkpoint (80) may go.
        let all = try writer.applyRetention(RetentionPolicy(maxAgeMilliseconds: 1), now: baseTime + 1_000_000)
        #expect(all.lowSeq == 81)
        #expect(all.heldBackByCheckpoint)
        #expect(try reader.lowSeq() == 81)
        #expect(try reader.verify(progress: nil) == .ok(records: 20, firstSeq: 81, lastSeq: 100, headHash: writer.headHash))
    }

    @Test func retentionCanEmptyTheJournalUpToTheCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 10)
        try writer.writeCheckpoint(seq: 10, state: [])
        let result = try writer.applyRetention(RetentionPolicy(maxRecords: 0), now: baseTime)
        #expect(result.deletedRecords == 10)
        let reader = try JournalReader(path: path)
        #expect(try reader.highSeq() == 10)
        #expect(try reader.lowSeq() == 11)
        #expect(try reader.verify(progress: nil) == .ok(records: 0, firstSeq: 11, lastSeq: 10, headHash: writer.headHash))
        writer.close()
        let reopened = try JournalWriter(path: path, durability: .os, logger: quietLogger)
        #expect(reopened.lastSeq == 10)
        try reopened.append(makeRecords(from: 11, count: 3))
        #expect(try reader.verify(progress: nil) == .ok(records: 3, firstSeq: 11, lastSeq: 13, headHash: reopened.headHash))
    }

    @Test func retentionBySize() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 100)
        let reader = try JournalReader(path: path)
        let expectedBytes = makeRecords(from: 1, count: 100)
            .reduce(Int64(0)) { $0 + Int64(HashChain.canonicalBytes($1).count + 32) }
        #expect(try reader.info().recordBytes == expectedBytes)

        try writer.writeCheckpoint(seq: 100, state: [])
        let limit = expectedBytes / 4
        let result = try writer.applyRetention(RetentionPolicy(maxBytes: limit), now: baseTime)
        #expect(!result.heldBackByCheckpoint)
        let info = try reader.info()
        #expect(info.recordBytes <= limit)
        let kept = try allRecords(path)
        #expect(info.recordBytes == kept.reduce(Int64(0)) { $0 + Int64(HashChain.canonicalBytes($1).count + 32) })
        // The oldest deleted record would have made it exceed the limit.
        let lastDeleted = makeRecords(from: result.lowSeq - 1, count: 1)[0]
        #expect(info.recordBytes + Int64(HashChain.canonicalBytes(lastDeleted).count + 32) > limit)
        #expect(try reader.verify(progress: nil) == .ok(
            records: UInt64(kept.count), firstSeq: result.lowSeq, lastSeq: 100, headHash: writer.headHash))
    }
}
