import Correlation
import Foundation
import IBMProtocol
import Journal
import TestSupport

/// Checks the four invariants of issue #9 against the hub's journal after a run.
struct InvariantChecker {
    let journalPath: String
    let rulesPath: String = TestPaths.repository.appendingPathComponent("Config/correlation.yaml").path

    struct JournalAlert {
        var seq: UInt64
        var alert: Ibm_V1_Alert
        var incidentID: String
    }

    /// Every alert record, in seq order, and the merges (incident -> the one it merged into).
    func journalContents() throws -> (alerts: [JournalAlert], merged: [String: String], eventSeqs: [UInt64], seqs: [UInt64]) {
        let reader = try JournalReader(path: journalPath)
        defer { reader.close() }
        let high = try reader.highSeq()
        var alerts: [JournalAlert] = []
        var merged: [String: String] = [:]
        var eventSeqs: [UInt64] = []
        var seqs: [UInt64] = []
        guard high > 0 else { return ([], [:], [], []) }
        try reader.scan(from: max(try reader.lowSeq(), 1), through: high) { record in
            seqs.append(record.seq)
            switch record.kind {
            case .alert:
                alerts.append(JournalAlert(seq: record.seq, alert: try Ibm_V1_Alert(serializedBytes: record.body),
                                           incidentID: record.incidentID))
            case .event:
                eventSeqs.append(record.seq)
                let event = try Ibm_V1_PictureEvent(serializedBytes: record.body)
                if event.closeReason == .merged, !event.mergedInto.isEmpty { merged[event.incident.id] = event.mergedInto }
            }
            return true
        }
        return (alerts, merged, eventSeqs, seqs)
    }

    /// Runs every check; the violations found (empty when the run is sound).
    /// `expected`: every (origin, id) the run may have put in the journal.
    func check(answers: [IntakeAnswer], expected: Set<String>, subscribers: [Subscriber],
               subscriberCatchUpSeconds: Double = 90) throws -> (violations: [String], accepted: Int) {
        var violations: [String] = []
        let contents = try journalContents()

        // 1. Delivered exactly once: every acked alert is in the journal once, at the acked seq.
        var seqsByKey: [String: [UInt64]] = [:]
        for entry in contents.alerts {
            seqsByKey[alertKey(entry.alert.origin, entry.alert.id), default: []].append(entry.seq)
        }
        for (key, seqs) in seqsByKey where seqs.count > 1 {
            violations.append("exactly once: \(key) is journaled \(seqs.count) times (seqs \(seqs))")
        }
        for key in seqsByKey.keys where !expected.contains(key) {
            violations.append("exactly once: \(key) is journaled but was never sent")
        }
        var acked = Set<String>()
        for answer in answers {
            guard let ack = answer.ack else { continue }
            let k = alertKey(answer.origin, answer.alertID)
            acked.insert(k)
            guard let seqs = seqsByKey[k] else {
                violations.append("exactly once: \(answer.origin)/\(answer.alertID) was acked (\(ack.outcome), seq \(ack.seq)) but is not in the journal")
                continue
            }
            if !seqs.contains(ack.seq) {
                violations.append("exactly once: \(answer.origin)/\(answer.alertID) was acked with seq \(ack.seq) but is journaled at \(seqs)")
            }
        }

        // 2. Sequence continuity, and the hash chain verifies.
        if let first = contents.seqs.first {
            for (offset, seq) in contents.seqs.enumerated() where seq != first + UInt64(offset) {
                violations.append("continuity: seq \(first + UInt64(offset)) is missing (found \(seq))")
                break
            }
            if first != 1 { violations.append("continuity: the journal starts at seq \(first), not 1") }
        }
        let verify = try runCommand(TestPaths.executable("ibmctl"), ["verify", "--journal", journalPath])
        if verify.status != 0 {
            violations.append("continuity: ibmctl verify exited \(verify.status): \(verify.stdout)\(verify.stderr)")
        }

        // 3. Subscribers agree with the picture rebuilt from the journal.
        let journalPicture = try replayedPicture()
        let lastEvent = contents.eventSeqs.last ?? 0
        for (index, subscriber) in subscribers.enumerated() {
            var picture = subscriber.picture()
            waitUntil(timeout: subscriberCatchUpSeconds) {
                picture = subscriber.picture()
                return picture.lastSeq >= lastEvent
            }
            let name = "subscriber \(index + 1)"
            if picture.lastSeq < lastEvent {
                violations.append("subscribers agree: \(name) reached seq \(picture.lastSeq), the journal's last event is \(lastEvent)")
            }
            if !picture.outOfOrder.isEmpty {
                violations.append("subscribers agree: \(name) saw \(picture.outOfOrder.count) events out of order or twice (first seq \(picture.outOfOrder[0]))")
            }
            if picture.incidents.count != journalPicture.incidents.count {
                violations.append("subscribers agree: \(name) holds \(picture.incidents.count) open incidents, the journal \(journalPicture.incidents.count)")
            }
            var differing = 0
            for (id, incident) in journalPicture.incidents where picture.incidents[id] != incident {
                differing += 1
                if differing <= 3 {
                    let theirs = picture.incidents[id].map(JSONWriter.string) ?? "nothing"
                    violations.append("subscribers agree: \(name) has incident \(id) as \(theirs); the journal has \(JSONWriter.string(incident))")
                }
            }
            if differing > 3 { violations.append("subscribers agree: \(name): \(differing - 3) more incidents differ") }
        }

        // 4. Correlation is stable: the hub's incident partition equals a clean offline run on the journal's order.
        violations += try correlationDifferences(contents.alerts, merged: contents.merged)

        return (violations, acked.count)
    }

    /// The picture folded from `ibmctl replay --records events` of the journal (the same JSON form as `watch`).
    func replayedPicture() throws -> FoldedPicture {
        let replay = try runCommand(TestPaths.executable("ibmctl"),
                                    ["replay", "--journal", journalPath, "--records", "events", "--format", "jsonl"],
                                    timeoutSeconds: 600)
        guard replay.status == 0 else { throw TestFailure("ibmctl replay exited \(replay.status): \(replay.stderr)") }
        var picture = FoldedPicture()
        let parser = JSONParser()
        for line in replay.stdout.split(separator: "\n") where !line.isEmpty {
            picture.apply(try parser.parse(String(line)))
        }
        return picture
    }

    func correlationDifferences(_ alerts: [JournalAlert], merged: [String: String]) throws -> [String] {
        func resolve(_ id: String) -> String {
            var current = id
            var hops = 0
            while let next = merged[current], hops < 10_000 { current = next; hops += 1 }
            return current
        }
        var hub: [String: String] = [:]
        for entry in alerts { hub[alertKey(entry.alert.origin, entry.alert.id)] = resolve(entry.incidentID) }
        let rules = try CorrelationRules.load(path: rulesPath)
        var clean: [String: String] = [:]
        for assignment in CorrelationScoring.cluster(alerts.map(\.alert), engine: .rules(rules)) {
            clean[alertKey(assignment.origin, assignment.alertID)] = assignment.incidentID
        }
        // Compare partitions, not ids: name each group by its smallest member.
        func canonical(_ assignment: [String: String]) -> [String: String] {
            var smallest: [String: String] = [:]
            for (alert, group) in assignment { smallest[group] = min(smallest[group] ?? alert, alert) }
            return assignment.mapValues { smallest[$0]! }
        }
        let hubGroups = canonical(hub), cleanGroups = canonical(clean)
        var differences: [String] = []
        for (alert, group) in hubGroups.sorted(by: { $0.key < $1.key }) where cleanGroups[alert] != group {
            differences.append("correlation: \(alert) is grouped with \(group) by the hub, with \(cleanGroups[alert] ?? "nothing") by a clean run")
            if differences.count >= 10 { break }
        }
        if hubGroups.count != cleanGroups.count {
            differences.append("correlation: the hub assigned \(hubGroups.count) alerts, a clean run \(cleanGroups.count)")
        }
        return differences
    }

}

extension AlertLoad {
    /// Every (origin, id) key of the load, in the checker's key form.
    var keys: Set<String> {
        Set(byOrigin.values.flatMap { $0.map { alertKey($0.origin, $0.id) } })
    }
}
