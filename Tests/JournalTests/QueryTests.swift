import Foundation
import GRDB
import Testing
@testable import Journal

@Suite struct QueryTests {
    @Test func lookupAlertFindsOnlyAlerts() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try makeJournal(path, count: 50)
        let reader = try JournalReader(path: path)
        let expected = makeRecords(from: 13, count: 1)[0]
        var found = try reader.lookupAlert(origin: expected.origin, alertID: "A-13")
        found?.hash = []
        #expect(found == expected)
        #expect(try reader.lookupAlert(origin: "nobody", alertID: "A-13") == nil)
        // Seq 14 is an event: events are not dedup candidates.
        let event = makeRecords(from: 14, count: 1)[0]
        #expect(try reader.lookupAlert(origin: event.origin, alertID: "A-14") == nil)
        // A second alert with the same (origin, alert id) is refused by the unique index.
        var duplicate = makeRecords(from: 51, count: 1)
        duplicate[0].origin = expected.origin
        duplicate[0].alertID = "A-13"
        let error = #expect(throws: JournalError.self) { try writer.append(duplicate) }
        #expect(error?.code == .duplicateAlert)

        let plan = try queryPlan(path, JournalReader.lookupAlertSQL, arguments: ["border", "A-1"])
        #expect(plan.contains("records_alert_dedup"))
    }

    @Test func firstSeqByTime() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try makeJournal(path, count: 50)
        let reader = try JournalReader(path: path)
        #expect(try reader.firstSeq(recordedAtOrAfter: 0) == 1)
        #expect(try reader.firstSeq(recordedAtOrAfter: baseTime + 5_000) == 5)
        #expect(try reader.firstSeq(recordedAtOrAfter: baseTime + 5_001) == 6)
        #expect(try reader.firstSeq(recordedAtOrAfter: baseTime + 50_001) == nil)

        let plan = try queryPlan(path, JournalReader.firstSeqSQL, arguments: [baseTime])
        #expect(plan.contains("records_by_recorded_at"))
        #expect(!plan.contains("TEMP B-TREE"))
    }

    @Test func scanRangesChunksAndEarlyStop() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try makeJournal(path, count: 100)
        let reader = try JournalReader(path: path)

        var seen: [UInt64] = []
        try reader.scan(from: 10, through: 35, filter: .all, chunkSize: 7) { record in
            seen.append(record.seq)
            return true
        }
        #expect(seen == Array(10...35))

        seen = []
        try reader.scan(from: 1, through: 100, filter: .all, chunkSize: 3) { record in
            seen.append(record.seq)
            return seen.count < 5
        }
        #expect(seen == [1, 2, 3, 4, 5])

        seen = []
        try reader.scan(from: 101, through: 200, filter: .all) { seen.append($0.seq); return true }
        try reader.scan(from: 50, through: 40, filter: .all) { seen.append($0.seq); return true }
        #expect(seen.isEmpty)

        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try reader.scan(from: 1, through: 100, filter: .all) { _ in throw Stop() }
        }
    }

    @Test func scanFiltersMatchAnInMemoryFilter() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try makeJournal(path, count: 120)
        let everything = makeRecords(from: 1, count: 120)
        let filters: [(RecordFilter, (JournalRecord) -> Bool)] = [
            (RecordFilter(kinds: [.event]), { $0.kind == .event }),
            (RecordFilter(kinds: [.alert, .event]), { _ in true }),
            (RecordFilter(kinds: []), { _ in false }),
            (RecordFilter(origins: ["border", "migration"]), { ["border", "migration"].contains($0.origin) }),
            (RecordFilter(categories: ["identity_fraud"]), { $0.category == "identity_fraud" }),
            (RecordFilter(sectors: ["north"]), { $0.sector == "north" }),
            (RecordFilter(incidentID: "INC-7"), { $0.incidentID == "INC-7" }),
            (RecordFilter(recordedFrom: baseTime + 30_000, recordedUntil: baseTime + 45_000),
             { $0.recordedAt >= baseTime + 30_000 && $0.recordedAt < baseTime + 45_000 }),
            (RecordFilter(kinds: [.alert], origins: ["customs"], categories: ["drug_trafficking", "smuggling_goods"],
                          sectors: ["north", "south"]),
             { $0.kind == .alert && $0.origin == "customs" && ["drug_trafficking", "smuggling_goods"].contains($0.category) }),
        ]
        for (filter, predicate) in filters {
            let got = withoutHash(try allRecords(path, filter: filter, chunkSize: 4))
            #expect(got == everything.filter(predicate), "filter \(filter)")
        }

        // The incident filter uses the incident index, in seq order (no sort).
        let (sql, arguments) = JournalReader.scanQuery(RecordFilter(incidentID: "INC-7"))
        var all: [(any DatabaseValueConvertible)?] = [Int64(1), Int64(100)]
        all += arguments
        all.append(1000)
        let plan = try queryPlan(path, sql, arguments: StatementArguments(all))
        #expect(plan.contains("records_by_incident"))
        #expect(!plan.contains("TEMP B-TREE"))
    }
}

@Suite struct ScanBodiesTests {
    @Test func scanBodiesMatchesScan() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try makeJournal(path, count: 60)
        let reader = try JournalReader(path: path)
        for filter in [RecordFilter.all, RecordFilter(kinds: [.event], sectors: ["north"]), RecordFilter(incidentID: "INC-3")] {
            var expected: [(UInt64, RecordKind, [UInt8])] = []
            try reader.scan(from: 5, through: 50, filter: filter) { expected.append(($0.seq, $0.kind, $0.body)); return true }
            var got: [(UInt64, RecordKind, [UInt8])] = []
            try reader.scanBodies(from: 5, through: 50, filter: filter, chunkSize: 4) { seq, kind, body in
                got.append((seq, kind, [UInt8](body)))
                return true
            }
            #expect(got.map(\.0) == expected.map(\.0))
            #expect(got.map(\.1) == expected.map(\.1))
            #expect(got.map(\.2) == expected.map(\.2))
            #expect(!got.isEmpty)
        }
        var visited = 0
        try reader.scanBodies(from: 1, through: 60, chunkSize: 7) { _, _, _ in
            visited += 1
            return visited < 10
        }
        #expect(visited == 10)
    }
}
