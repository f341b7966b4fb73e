@testable import AgencyNode
import Foundation
import IBMProtocol
import Logging
import TestSupport
import Testing

func sampleAlert(_ id: String, origin: String = "customs") -> Ibm_V1_Alert {
    var alert = Ibm_V1_Alert()
    alert.id = id
    alert.origin = origin
    alert.msgType = .alert
    alert.category = .smugglingGoods
    alert.severity = .moderate
    alert.urgency = .expected
    alert.certainty = .observed
    alert.tlp = .green
    alert.headline = "Goods seized"
    alert.observedAt.seconds = 1_795_000_000
    alert.location.lat = 32
    alert.location.lon = 10
    return alert
}

@Suite struct OutboxTests {
    @Test func storedAlertsComeBackInOrderPageByPageUntilAnswered() throws {
        let directory = try TestPaths.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try OutboxStore(path: directory.appendingPathComponent("outbox.sqlite").path, fsync: false)
        let ids = (0..<25).map { String(format: "cus-%04d", $0) }
        _ = try store.store([(ids.prefix(10).map { sampleAlert($0) }, "http"), (ids.dropFirst(10).map { sampleAlert($0) }, "spool:a")],
                            nowMilliseconds: 1000)
        var cursor: Int64 = 0
        var read: [String] = []
        while true {
            let page = try store.queued(after: cursor, limit: 7)
            if page.isEmpty { break }
            #expect(page.count <= 7)
            read += page.map(\.alertID)
            cursor = page.last?.position ?? cursor
        }
        #expect(read == ids)
        #expect(try store.depthSync().count == 25)
        #expect(try store.depthSync().oldestQueuedAtMilliseconds == 1000)

        try store.record([
            RecordedAnswer(alertID: ids[0], answer: .acked(seq: 7, outcome: "accepted", incidentID: "inc-1", answeredAtMilliseconds: 2000), attempts: 1),
            RecordedAnswer(alertID: ids[1], answer: .nacked(code: "INVALID", reason: "headline: too long", answeredAtMilliseconds: 2000), attempts: 2),
        ])
        #expect(try store.queued(after: 0, limit: 100).map(\.alertID) == Array(ids.dropFirst(2)))
        #expect(try store.depthSync().count == 23)
        let acked = try #require(try store.entrySync(id: ids[0]))
        #expect(acked.state == .acked(seq: 7, outcome: "accepted", incidentID: "inc-1", answeredAtMilliseconds: 2000))
        #expect(acked.attempts == 1 && acked.source == "http" && acked.alert == sampleAlert(ids[0]))
        let nacked = try #require(try store.entrySync(id: ids[1]))
        #expect(nacked.state == .nacked(code: "INVALID", reason: "headline: too long", answeredAtMilliseconds: 2000))
        #expect(try store.entrySync(id: ids[20])?.source == "spool:a")
        #expect(try store.entrySync(id: "cus-none") == nil)
    }

    @Test func aResentIntakeIsKeptOnceButANackedIDMayBeQueuedAgain() throws {
        let directory = try TestPaths.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try OutboxStore(path: directory.appendingPathComponent("outbox.sqlite").path, fsync: true)
        _ = try store.store([([sampleAlert("a"), sampleAlert("b")], "http")], nowMilliseconds: 1)
        try store.record([RecordedAnswer(alertID: "b", answer: .nacked(code: "INVALID", reason: "r", answeredAtMilliseconds: 2), attempts: 1)])
        var fixed = sampleAlert("b")
        fixed.headline = "Goods seized, corrected"
        let ids = try store.store([([sampleAlert("a"), fixed], "http")], nowMilliseconds: 3)
        #expect(ids == [["a", "b"]])
        let entries = try store.allEntries()
        #expect(entries.map(\.alert.id) == ["a", "b"])
        #expect(entries[1].state == .queued && entries[1].alert.headline == "Goods seized, corrected")
        #expect(entries[1].position > entries[0].position)
    }

    @Test func reopeningKeepsEverythingAndPruningRemovesOnlyOldAnsweredAlerts() throws {
        let directory = try TestPaths.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("outbox.sqlite").path
        do {
            let store = try OutboxStore(path: path, fsync: true)
            _ = try store.store([([sampleAlert("a"), sampleAlert("b"), sampleAlert("c")], "http")], nowMilliseconds: 1)
            try store.record([
                RecordedAnswer(alertID: "a", answer: .acked(seq: 1, outcome: "accepted", incidentID: "i", answeredAtMilliseconds: 10), attempts: 1),
                RecordedAnswer(alertID: "b", answer: .acked(seq: 2, outcome: "accepted", incidentID: "i", answeredAtMilliseconds: 500), attempts: 1),
            ])
        }
        let store = try OutboxStore(path: path, fsync: true)
        #expect(try store.allEntries().count == 3)
        #expect(try store.prune(answeredBefore: 100) == 1)
        #expect(try store.allEntries().map(\.alert.id) == ["b", "c"])
    }

    @Test func concurrentIntakeIsGroupCommittedAndEveryRequestAnswered() async throws {
        let directory = try TestPaths.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try OutboxStore(path: directory.appendingPathComponent("outbox.sqlite").path, fsync: true)
        let commits = Commits()
        let queue = IntakeQueue(store: store, maxBatch: 5000, logger: Logger(label: "test")) { count in commits.add(count) }
        let answered = try await withThrowingTaskGroup(of: [String].self) { group in
            for request in 0..<50 {
                group.addTask { try await queue.submit((0..<20).map { sampleAlert("r\(request)-\($0)") }, source: "http") }
            }
            // The writer starts once all 50 wait: they must share one transaction.
            while queue.waitingRequests < 50 { try await Task.sleep(for: .milliseconds(5)) }
            Thread { queue.run() }.start()
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        queue.stop()
        #expect(answered.count == 1000 && Set(answered).count == 1000)
        #expect(try store.depthSync().count == 1000)
        #expect(commits.total == 1000)
        #expect(commits.count == 1)
        // After stop, a request is refused rather than left hanging.
        await #expect(throws: AgencyError.self) { try await queue.submit([sampleAlert("late")], source: "http") }
    }
}

final class Commits: Sendable {
    private let state = Mutex((count: 0, total: 0))
    func add(_ alerts: Int) { state.withLock { $0.count += 1; $0.total += alerts } }
    var count: Int { state.withLock { $0.count } }
    var total: Int { state.withLock { $0.total } }
}

import Synchronization
