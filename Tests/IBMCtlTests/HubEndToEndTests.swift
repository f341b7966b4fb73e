import Foundation
import IBMProtocol
import Testing

/// These start a real `ibm-hub --insecure` on free loopback ports.
@Suite("against a running hub", .serialized)
struct HubEndToEndTests {
    @Test("publish prints one answer line per alert; replay --journal returns the same alerts")
    func publishThenReplay() throws {
        let hub = try HubUnderTest()
        let origins = ["border", "migration", "customs"]
        let lines = (0..<5).map { SampleAlerts.alert($0, origin: origins[$0 % 3]) }
        // An update of an alert the hub never saw: answered with a nack.
        let orphan = lines[0]
            .replacingOccurrences(of: "\"bor-000000\"", with: "\"bor-999999\"")
            .replacingOccurrences(of: "\"msg_type\":\"alert\"", with: "\"msg_type\":\"update\",\"references\":[\"bor-424242\"]")
        let file = hub.folder.file("alerts.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let published = try ibmctl(["publish"] + hub.connection + [file])
        #expect(published.status == 0, "stderr: \(published.stderr)")
        let answers = try published.lines.map(json)
        #expect(answers.count == 5)
        for answer in answers {
            #expect(keys(answer) == ["alert_id", "outcome", "seq", "incident_id"])
            guard case let .string(outcome)? = answer["outcome"] else { continue }
            #expect(["accepted", "correlated"].contains(outcome))
        }

        // The same file again: every alert is a duplicate, with its original seq.
        let again = try ibmctl(["publish"] + hub.connection + ["-"], stdin: lines.joined(separator: "\n"))
        #expect(again.status == 0)
        let seqs = Dictionary(uniqueKeysWithValues: answers.map { (text($0["alert_id"]), text($0["seq"])) })
        let duplicates = try again.lines.map(json)
        #expect(duplicates.count == 5)
        for answer in duplicates {
            #expect(answer["outcome"] == .string("duplicate"))
            #expect(seqs[text(answer["alert_id"])] == text(answer["seq"]))
        }

        let nacked = try ibmctl(["publish"] + hub.connection + ["-"], stdin: orphan)
        #expect(nacked.status == 0)
        let nack = try json(nacked.lines.first ?? "")
        #expect(keys(nack) == ["alert_id", "nack"])
        #expect(keys(nack["nack"] ?? .null) == ["code", "reason"])

        let replayed = try ibmctl(["replay", "--journal", hub.journalPath, "--format", "jsonl"])
        #expect(replayed.status == 0)
        let sent = try lines.map { try AlertJSON().decode($0) }
        let back = try replayed.lines.map { try AlertJSON().decode($0) }
        #expect(back == sent)

        // Through sync, the same alerts.
        let synced = try ibmctl(["replay"] + hub.connection + ["--format", "jsonl"])
        #expect(synced.status == 0, "stderr: \(synced.stderr)")
        #expect(try synced.lines.map { try AlertJSON().decode($0) } == sent)
        // Paced replays go window by window; the result is the same.
        let paced = try ibmctl(["replay"] + hub.connection + ["--speed", "1000", "--records", "all"])
        #expect(paced.status == 0, "stderr: \(paced.stderr)")
        let all = try ibmctl(["replay", "--journal", hub.journalPath, "--records", "all"])
        #expect(paced.stdout == all.stdout)
        #expect(all.lines.count > sent.count)

        let verified = try ibmctl(["verify", "--journal", hub.journalPath])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("ok: "))

        // HTTP has no CURVE, so status takes no --insecure.
        let status = try ibmctl(["status"] + hub.connection.filter { $0 != "--insecure" } + ["--interval", "0.2"])
        #expect(status.status == 0)
        #expect(status.stdout.contains(": up"))
        #expect(status.stdout.contains("open incidents"))
    }

    @Test("watch --format jsonl prints the snapshot, then live events")
    func watchJSONLines() throws {
        let hub = try HubUnderTest()
        let before = (0..<2).map { SampleAlerts.alert($0, origin: "border") }.joined(separator: "\n")
        let first = try ibmctl(["publish"] + hub.connection + ["-"], stdin: before)
        #expect(first.status == 0)

        let watch = try Child(try Products.ibmctl(), ["watch"] + hub.connection + ["--format", "jsonl"], in: hub.folder)
        defer { watch.stop() }
        let gotSnapshot = watch.waitForOutput(seconds: 20) { $0.split(separator: "\n").count >= 2 }
        #expect(gotSnapshot, "watch stderr: \(watch.stderr)")
        let snapshot = try watch.stdoutLines.prefix(2).map(json)
        #expect(snapshot.allSatisfy { $0["kind"] == .string("snapshot") && $0["incident"]?["status"] == .string("open") })

        let later = SampleAlerts.alert(3, origin: "customs")
        let second = try ibmctl(["publish"] + hub.connection + ["-"], stdin: later)
        #expect(second.status == 0)
        let gotLive = watch.waitForOutput(seconds: 20) { $0.contains("cus-000003") }
        #expect(gotLive, "watch stderr: \(watch.stderr)")
        let live = try watch.stdoutLines.dropFirst(2).map(json)
        #expect(live.contains { $0["kind"] == .string("opened") && $0["alert"]?["id"] == .string("cus-000003") })
    }

    @Test("with CURVE: alerts go out as the --as identity; coordinators replay through sync")
    func curve() throws {
        let hub = try HubUnderTest(identities: [("border", "agency"), ("coordinator", "coordinator")])
        let mine = SampleAlerts.alert(0, origin: "border")
        let published = try ibmctl(["publish"] + hub.connection + ["--as", "border", "-"], stdin: mine)
        #expect(published.status == 0, "stderr: \(published.stderr)")
        #expect(try json(published.lines.first ?? "")["outcome"] == .string("accepted"))

        // Origin comes from the key, never from the payload.
        let someoneElses = SampleAlerts.alert(1, origin: "customs")
        let refused = try ibmctl(["publish"] + hub.connection + ["--as", "border", "-"], stdin: someoneElses)
        #expect(refused.status == 0)
        #expect(try json(refused.lines.first ?? "")["nack"]?["code"] == .string("forbidden"))

        // The coordinator (the default identity) replays through sync.
        let replayed = try ibmctl(["replay"] + hub.connection + ["--records", "all"])
        #expect(replayed.status == 0, "stderr: \(replayed.stderr)")
        #expect(replayed.lines.count == 2)
        #expect(try AlertJSON().decode(replayed.lines[0]) == AlertJSON().decode(mine))

        // A key the hub does not admit gets no answer at all: a connection error.
        let stranger = try ibmctl(["keys", "generate", "--name", "stranger", "--out", hub.keyDirectory ?? ""])
        #expect(stranger.status == 0)
        let unknown = try ibmctl(["publish"] + hub.connection + ["--as", "stranger", "--timeout", "1", "-"], stdin: mine)
        #expect(unknown.status == 2)
    }

    @Test("publish to a hub that is not there exits 2")
    func noHub() throws {
        let folder = try TemporaryFolder()
        let result = try ibmctl(["publish", "--insecure", "--hub", "127.0.0.1:\(try freePort())", "--timeout", "1", "-"],
                                stdin: SampleAlerts.alert(0), in: folder)
        #expect(result.status == 2)
        let status = try ibmctl(["status", "--hub", "127.0.0.1", "--http-port", String(try freePort())], in: folder)
        #expect(status.status == 2)
    }
}
