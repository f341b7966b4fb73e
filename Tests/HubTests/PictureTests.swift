import Foundation
import HubClient
import IBMProtocol
import Journal
import Synchronization
import TestSupport
import Testing
import ZeroMQ

/// Follows the feed on its own thread until told to stop; returns the picture it holds.
private final class BackgroundFollower: Sendable {
    struct Result: Sendable {
        var incidents: [String: Ibm_V1_Incident]
        var lastSeq: UInt64
        var recoveries: Int
        var error: String?
    }

    private final class Flag: Sendable {
        let raised = Mutex(false)
    }

    private let stop = Flag()
    private let thread: ConfinedThread<Result>

    init(context: ZMQContext, address: HubAddress, receiveHWM: Int) throws {
        let stop = self.stop
        thread = try ConfinedThread(name: "test.follower") { () -> Result in
            do {
                let follower = try PictureFollower(context: context, address: address, security: .insecure, receiveHWM: receiveHWM)
                try follower.follow(forMilliseconds: 300_000, until: { stop.raised.withLock { $0 } })
                return Result(incidents: follower.incidents, lastSeq: follower.lastSeq, recoveries: follower.recoveries)
            } catch {
                return Result(incidents: [:], lastSeq: 0, recoveries: 0, error: "\(error)")
            }
        }
    }

    func finish() -> Result {
        stop.raised.withLock { $0 = true }
        return thread.join()
    }
}

/// Follows until its picture matches `target` (or the time is up).
private func converge(_ follower: PictureFollower, to target: UInt64, seconds: Int64 = 30) throws {
    try follower.follow(forMilliseconds: seconds * 1000, until: { follower.lastSeq >= target })
}

@Suite(.serialized) struct PictureTests {
    @Test func lateAndBlockedSubscribersEndWithThePictureOfOneConnectedFromTheStart() throws {
        // A small feed HWM so a subscriber that does not read really overflows.
        let hub = try HubProcess(label: "late", extraYAML: "feed:\n  send_hwm: 100\n")
        try hub.start()
        defer { hub.stop() }
        let context = try ZMQContext()
        let early = try BackgroundFollower(context: context, address: hub.address, receiveHWM: 100_000)
        // Blocked: connected and snapshotted now, then not read while everything is published.
        let blocked = try PictureFollower(context: context, address: hub.address, security: .insecure, receiveHWM: 100)
        try blocked.follow(forMilliseconds: 1)
        Thread.sleep(forTimeInterval: 0.5)  // let the subscriptions reach the hub

        let answers = try publishAll(try DevScenario.alerts(), to: hub, context: context)
        #expect(answers.allSatisfy { $0?.ack != nil })
        let sync = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure)
        let (truth, high) = try sync.snapshot()
        #expect(truth.count > 0)

        try converge(blocked, to: high)
        let late = try PictureFollower(context: context, address: hub.address, security: .insecure)
        try late.follow(forMilliseconds: 1)
        Thread.sleep(forTimeInterval: 1.5)  // a heartbeat passes, so the early follower has seen the last seq
        let fromStart = early.finish()
        #expect(fromStart.error == nil)

        let expected = Dictionary(truth.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        #expect(fromStart.incidents == expected)
        #expect(blocked.incidents == expected)
        #expect(late.incidents == expected)
        #expect(blocked.recoveries > 0, "the blocked subscriber never overflowed, so recovery was not exercised")
    }

    @Test func replayFromSeqReturnsExactlyTheRecordsFromThereOnThenTheEndMarker() throws {
        let hub = try HubProcess(label: "replay", extraYAML: "limits:\n  sync_chunk_records: 37\n")
        try hub.start()
        defer { hub.stop() }
        let context = try ZMQContext()
        _ = try publishAll(try DevScenario.alerts(), to: hub, context: context)
        let reader = try JournalReader(path: hub.journalPath)
        let high = try reader.highSeq()
        let from: UInt64 = high / 3
        var expected: [UInt64] = []
        try reader.scan(from: from, through: high, filter: .all) { record in
            expected.append(record.seq)
            return true
        }
        let sync = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure)
        sync.credit = 2  // forces many credit round trips
        var request = Ibm_V1_ReplayRequest()
        request.fromSeq = from
        request.includeAlerts = true
        var seen: [UInt64] = []
        let end = try sync.replay(request) { seen.append($0.seq) }
        #expect(seen == expected)
        #expect(end.highSeq == high)
        #expect(end.records == UInt64(expected.count))

        // Events only: every event after `from`, in order.
        request.includeAlerts = false
        var events: [UInt64] = []
        try sync.replay(request) { record in
            if case .event = record.body { events.append(record.seq) }
        }
        var expectedEvents: [UInt64] = []
        try reader.scan(from: from, through: high, filter: RecordFilter(kinds: [.event])) { record in
            expectedEvents.append(record.seq)
            return true
        }
        #expect(events == expectedEvents)
    }

    @Test func restartRebuildsExactlyTheSamePicture() throws {
        // Checkpoints every 1,000 records, so recovery uses a checkpoint and a tail.
        let hub = try HubProcess(label: "restart", checkpointEvery: 1000)
        try hub.start()
        let context = try ZMQContext()
        _ = try publishAll(try DevScenario.alerts(), to: hub, context: context)
        let before = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure).snapshot()
        #expect(hub.stop() == 0)
        // Checkpoints are encoded off the core thread; a graceful stop still leaves one at the last seq.
        let stopped = try JournalReader(path: hub.journalPath)
        #expect(try stopped.latestCheckpoint()?.seq == before.highSeq)
        stopped.close()
        try hub.start()
        let afterClean = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure).snapshot()
        #expect(afterClean.incidents == before.incidents)
        #expect(afterClean.highSeq == before.highSeq)
        hub.kill9()
        try hub.start()
        defer { hub.stop() }
        let afterKill = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure).snapshot()
        #expect(afterKill.incidents == before.incidents)
    }

    @Test func sigkillDuringLoadLosesNothingAckedAndDoublesNothing() throws {
        let hub = try HubProcess(label: "kill", durability: "fsync")
        let alerts = try DevScenario.alerts()
        let context = try ZMQContext()
        var acked: [String: UInt64] = [:]  // origin/id → seq from an ack before a kill
        var generator = SystemRandomNumberGenerator()
        for round in 0..<4 {
            try hub.start()
            // Publish from a thread while this one kills the hub at a random moment.
            let address = hub.address
            let collected = Mutex<[(String, UInt64)]>([])
            let publisher = try ConfinedThread(name: "test.publisher") {
                guard let client = try? IngestClient(context: context, endpoint: address.ingest, security: .insecure, window: 64,
                                                     resendAfterMilliseconds: 500)
                else { return }
                _ = try? client.publish(alerts, timeoutMilliseconds: 6_000) { index, answer in
                    if case let .ack(ack) = answer {
                        collected.withLock { $0.append((alerts[index].origin + "/" + alerts[index].id, ack.seq)) }
                    }
                }
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.6, using: &generator))
            hub.kill9()
            publisher.join()
            for (key, seq) in collected.withLock({ $0 }) {
                if let earlier = acked[key] {
                    #expect(earlier == seq, "round \(round): \(key) acked with seq \(earlier) and then \(seq)")
                } else {
                    acked[key] = seq
                }
            }
        }
        try hub.start()
        defer { hub.stop() }
        let answers = try publishAll(alerts, to: hub, context: context)
        var finalSeq: [String: UInt64] = [:]
        for (index, answer) in answers.enumerated() {
            let ack = try #require(answer?.ack)
            let key = alerts[index].origin + "/" + alerts[index].id
            if let seq = acked[key] {
                #expect(ack.seq == seq, "\(key) was acked with seq \(seq) before a crash, now \(ack.seq)")
                #expect(ack.outcome == .duplicate)
            }
            finalSeq[key] = finalSeq[key] ?? ack.seq
        }
        let reader = try JournalReader(path: hub.journalPath)
        var seqs: [UInt64] = []
        var alertKeys = Set<String>()
        try reader.scan(from: 1, through: try reader.highSeq(), filter: .all) { record in
            seqs.append(record.seq)
            if record.kind == .alert {
                #expect(alertKeys.insert(record.origin + "/" + record.alertID).inserted, "\(record.alertID) journaled twice")
            }
            return true
        }
        #expect(alertKeys.count == finalSeq.count)
        #expect(seqs == Array(1...UInt64(seqs.count)), "sequence numbers are not contiguous")
        guard case .ok = try reader.verify(progress: nil) else {
            Issue.record("journal does not verify after crashes")
            return
        }
        #expect(acked.count > 0, "no ack arrived before any kill; the test did not exercise recovery")
    }
}
