import Foundation
import Testing
import TestSupport

/// The checker must be able to fail: a clean run passes it, forged records do not.
@Suite("Fault checker", .serialized)
struct CheckerTests {
    @Test("a clean run passes; a forged ack, a wrong seq, an unknown alert and a disagreeing subscriber are each caught",
          .enabled(if: FaultMode.quick))
    func checkerCatchesForgeries() throws {
        let cluster = try FaultCluster(label: "checker", seed: 7, alerts: 60)
        defer { cluster.stopAll() }
        try cluster.hub.start()
        try cluster.startAgencies()
        let subscriber = try cluster.addSubscriber()
        cluster.startAgencyLoad(batch: 10, pause: 0)
        #expect(cluster.waitForDelivery(timeout: 120))
        let checker = InvariantChecker(journalPath: cluster.hub.journalPath)
        let answers = try #require(cluster.driver).deliveryStates(ports: cluster.agencyPorts, timeout: 60)
        #expect(answers.filter { $0.ack != nil }.count == 60)
        let clean = try checker.check(answers: answers, expected: cluster.expectedKeys, subscribers: [subscriber])
        #expect(clean.violations.isEmpty, "\(clean.violations)")

        var forged = answers
        forged.append(IntakeAnswer(origin: "border", alertID: "bor-never-sent", ack: (1, "accepted"), nackCode: nil))
        let real = try #require(answers.first { $0.ack != nil })
        var moved = real
        moved.ack = (real.ack!.seq + 10_000, real.ack!.outcome)
        forged.append(moved)
        var expected = cluster.expectedKeys
        expected.remove(alertKey(real.origin, real.alertID))

        // A subscriber whose last event shows a different headline.
        var lines = completeLines(of: subscriber.url).filter { $0.first == "{" }
        let last = try #require(lines.last)
        lines[lines.count - 1] = last.replacingOccurrences(of: "\"headline\":\"", with: "\"headline\":\"forged ")
        let forgedURL = cluster.hub.directory.appendingPathComponent("forged-subscriber.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: forgedURL, atomically: true, encoding: .utf8)
        let liar = Subscriber(child: subscriber.child, url: forgedURL)

        let found = try checker.check(answers: forged, expected: expected, subscribers: [liar], subscriberCatchUpSeconds: 5)
        let text = found.violations.joined(separator: "\n")
        #expect(text.contains("bor-never-sent was acked"), "\(text)")
        #expect(text.contains("but is journaled at"), "\(text)")
        #expect(text.contains("is journaled but was never sent"), "\(text)")
        #expect(text.contains("subscribers agree: subscriber 1 has incident"), "\(text)")
    }
}
