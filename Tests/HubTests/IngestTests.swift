import Foundation
import HubClient
import IBMProtocol
import Journal
import SwiftProtobuf
import TestSupport
import Testing
import ZeroMQ

@Suite(.serialized) struct IngestTests {
    @Test func devSetIsAckedOnceAndResendsAreDuplicatesWithTheOriginalSeq() throws {
        let hub = try HubProcess(label: "dup")
        try hub.start()
        defer { hub.stop() }
        let alerts = try DevScenario.alerts()
        let resends = try DevScenario.resendIndexes()
        #expect(resends.count > 0)
        let context = try ZMQContext()
        let answers = try publishAll(alerts, to: hub, context: context)

        var firstSeq: [String: UInt64] = [:]
        for (index, answer) in answers.enumerated() {
            let ack = try #require(answer?.ack, "line \(index + 1): \(String(describing: answer))")
            let key = alerts[index].origin + "/" + alerts[index].id
            if resends.contains(index) {
                #expect(ack.outcome == .duplicate, "line \(index + 1)")
                #expect(ack.seq == firstSeq[key], "line \(index + 1)")
            } else {
                #expect(ack.outcome != .duplicate, "line \(index + 1)")
                #expect(firstSeq[key] == nil, "line \(index + 1) reuses an id")
                firstSeq[key] = ack.seq
            }
        }
        // The journal holds each distinct alert once, and its chain verifies.
        let reader = try JournalReader(path: hub.journalPath)
        var alertRecords = 0
        try reader.scan(from: 1, through: try reader.highSeq(), filter: RecordFilter(kinds: [.alert])) { _ in
            alertRecords += 1
            return true
        }
        #expect(alertRecords == firstSeq.count)
        guard case .ok = try reader.verify(progress: nil) else {
            Issue.record("journal does not verify")
            return
        }
        // /metrics counts duplicate acks as they leave: one more resend, one more.
        func duplicatesCounted() -> Int? {
            let metrics = HubProcess.httpGet(port: hub.httpPort, path: "/metrics")?.body ?? ""
            let prefix = "ibm_hub_alerts_acked_total{outcome=\"duplicate\"} "
            return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
        }
        let before = try #require(duplicatesCounted())
        #expect(before >= resends.count)
        #expect(try publishAll([alerts[0]], to: hub, context: context).first??.ack?.outcome == .duplicate)
        #expect(duplicatesCounted() == before + 1)
    }

    @Test func badInputGetsANackNamingTheProblemAndTheHubKeepsAcking() throws {
        let hub = try HubProcess(label: "bad")
        try hub.start()
        defer { hub.stop() }
        let context = try ZMQContext()
        let raw = try context.makeSocket(.dealer)
        try raw.connect(hub.address.ingest)
        var poller = Poller()
        try poller.add(raw)
        func reply() throws -> Ibm_V1_IngestReply? {
            guard try poller.poll(timeoutMilliseconds: 10_000).isReadable(0), let frames = try raw.receiveMultipart() else {
                return nil
            }
            return try Ibm_V1_IngestReply(serializedBytes: try #require(frames.last))
        }
        // Garbage bytes.
        try raw.send([0xFF, 0x00, 0x13, 0x37, 0x99])
        #expect(try reply()?.nack.code == .malformed)
        // Truncated multipart: two frames where one is expected.
        try raw.sendMultipart([[1, 2], [3, 4]])
        #expect(try reply()?.nack.code == .malformed)
        // Invalid alert: the nack names the field and the rule.
        var alerts = try DevScenario.alerts()
        var invalid = alerts[0]
        invalid.location.lat = 123.4
        var request = Ibm_V1_IngestRequest()
        request.publish = invalid
        try raw.send(try request.serializedBytes() as [UInt8])
        let invalidReply = try #require(try reply())
        #expect(invalidReply.nack.code == .invalid)
        #expect(invalidReply.nack.reason.contains("location.lat: 123.4 is out of range [-90, 90]"))
        // An update whose reference the hub has never seen.
        var update = alerts[0]
        update.id = "bor-999999"
        update.origin = "border"
        update.msgType = .update
        update.references = ["bor-000001"]
        request.publish = update
        try raw.send(try request.serializedBytes() as [UInt8])
        let unknown = try #require(try reply())
        #expect(unknown.nack.code == .unknownReference)
        #expect(unknown.nack.reason.contains("bor-000001"))
        // A message over max_message_bytes drops that connection, not the hub.
        let big = try context.makeSocket(.dealer)
        try big.connect(hub.address.ingest)
        try big.send([UInt8](repeating: 0x41, count: 2 << 20))
        // Honest alerts are still acked.
        alerts.removeLast(alerts.count - 20)
        let answers = try publishAll(alerts, to: hub, context: context)
        #expect(answers.allSatisfy { $0?.ack != nil })
        #expect(hub.child?.isRunning == true)
        raw.close()
        big.close()
    }
}
