import CAP
import Foundation
import IBMProtocol
import Testing

/// `publish --cap` and `replay --format cap`, with the real binary.
@Suite("CAP in and out", .serialized)
struct CAPCommandTests {
    static let samples = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("CAPTests/Samples")

    static func sample(_ name: String) throws -> String {
        try String(contentsOf: samples.appendingPathComponent("\(name).xml"), encoding: .utf8)
    }

    @Test("replay --format cap prints one CAP document per line, holding the journal's alerts")
    func replayAsCAP() throws {
        let folder = try TemporaryFolder()
        let journal = folder.file("journal.sqlite")
        try JournalFixtures.write(to: journal, count: 5)
        let cap = try ibmctl(["replay", "--journal", journal, "--format", "cap"], seconds: 30)
        #expect(cap.status == 0, "stderr: \(cap.stderr)")
        let jsonl = try ibmctl(["replay", "--journal", journal, "--format", "jsonl"], seconds: 30)
        let expected = try jsonl.lines.map { try AlertJSON().decode($0) }
        #expect(expected.count >= 2)  // the fixture interleaves alerts and events
        let back = try cap.lines.flatMap { try CAPImport.alerts(fromXML: Array($0.utf8), origin: nil) }
        #expect(back == expected)
        #expect(cap.lines.allSatisfy { $0.hasPrefix("<?xml") && $0.hasSuffix("</alert>") })
    }

    @Test("replay --format cap takes only alerts")
    func capIsForAlerts() throws {
        let folder = try TemporaryFolder()
        let journal = folder.file("journal.sqlite")
        try JournalFixtures.write(to: journal, count: 2)
        let replay = try ibmctl(["replay", "--journal", journal, "--format", "cap", "--records", "events"], seconds: 30)
        #expect(replay.status == 2)
        #expect(replay.stderr.contains("--records alerts"))
        #expect(replay.stdout.isEmpty)
    }

    @Test("publish --cap sends CAP documents; their replay as CAP publishes again as duplicates")
    func publishCAP() throws {
        let hub = try HubUnderTest()
        let file = hub.folder.file("two.xml")
        // Two documents in one file, each beginning with its declaration.
        try (try Self.sample("circle-alert") + Self.sample("polygon-alert")).write(toFile: file, atomically: true, encoding: .utf8)
        let published = try ibmctl(["publish", "--cap"] + hub.connection + [file])
        #expect(published.status == 0, "stderr: \(published.stderr)")
        let answers = try published.lines.map(json)
        #expect(Set(answers.map { text($0["alert_id"]) }) == ["cus-000123", "brd-2026-00417"])
        #expect(answers.allSatisfy { keys($0) == ["alert_id", "outcome", "seq", "incident_id"] })

        let replayed = try ibmctl(["replay", "--journal", hub.journalPath, "--format", "cap"])
        #expect(replayed.status == 0)
        let sent = try [Self.sample("circle-alert"), Self.sample("polygon-alert")]
            .flatMap { try CAPImport.alerts(fromXML: Array($0.utf8), origin: nil) }
        let back = try replayed.lines.flatMap { try CAPImport.alerts(fromXML: Array($0.utf8), origin: nil) }
        #expect(back == sent)

        let again = try ibmctl(["publish", "--cap"] + hub.connection + ["-"], stdin: replayed.stdout)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        let duplicates = try again.lines.map(json)
        #expect(duplicates.count == 2)
        #expect(duplicates.allSatisfy { $0["outcome"] == .string("duplicate") })
    }

    @Test("publish --cap names the bad element of a refused document and exits 1")
    func publishBadCAP() throws {
        let hub = try HubUnderTest()
        let bad = try Self.sample("circle-alert").replacingOccurrences(of: "<cap:status>Actual</cap:status>", with: "<cap:status>Exercise</cap:status>")
        let result = try ibmctl(["publish", "--cap"] + hub.connection + ["-"], stdin: bad)
        #expect(result.status == 1)
        #expect(result.stderr.contains("alert/status: Exercise messages are not accepted"))
        #expect(result.stdout.isEmpty)
        let doctype = "<?xml version=\"1.0\"?>\n<!DOCTYPE alert [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<alert/>"
        let refused = try ibmctl(["publish", "--cap"] + hub.connection + ["-"], stdin: doctype)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("<!DOCTYPE is refused"))
    }
}
