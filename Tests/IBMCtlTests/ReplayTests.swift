import Foundation
import IBMProtocol
import Journal
import SwiftProtobuf
import Testing
import ZeroMQ

@Suite("replay from a journal file")
struct ReplayTests {
    @Test("jsonl prints the alerts in the JSON alert form, in seq order")
    func alertsAsJSONLines() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        try JournalFixtures.write(to: path, count: 20)
        let result = try ibmctl(["replay", "--journal", path, "--format", "jsonl"])
        #expect(result.status == 0)
        let alerts = try result.lines.map { try AlertJSON().decode($0) }
        let expected = try (0..<10).map { try JournalFixtures.alert($0) }
        #expect(alerts == expected)
        // Written from the journal's bytes, byte for byte what the codec writes from the message.
        #expect(result.lines == expected.map { AlertJSON().encodeString($0) })
    }

    @Test("a record whose bytes are not an alert stops the replay, naming its seq", arguments: ["jsonl", "table"])
    func damagedRecord(format: String) throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        let writer = try JournalWriter(path: path, durability: .os, logger: JournalFixtures.logger)
        var damaged = try JournalFixtures.alertRecord(seq: 3, recordedAt: 1_795_000_000_200, number: 1)
        damaged.body = [0x0A, 0x05, 0x62, 0x6F]  // field 1 declares 5 bytes, 2 follow
        try writer.append([
            try JournalFixtures.alertRecord(seq: 1, recordedAt: 1_795_000_000_000, number: 0),
            try JournalFixtures.eventRecord(seq: 2, recordedAt: 1_795_000_000_100, number: 0),
            damaged,
            try JournalFixtures.alertRecord(seq: 4, recordedAt: 1_795_000_000_300, number: 2),
        ])
        writer.close()
        let result = try ibmctl(["replay", "--journal", path, "--format", format])
        #expect(result.status == 1)
        #expect(result.stderr.contains("record 3 holds no valid alert"), "\(result.stderr)")
        #expect(result.stdout.contains("bor-000000"))
        #expect(!result.stdout.contains("bor-000002"))
    }

    @Test("events, ranges and filters")
    func eventsRangesFilters() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        try JournalFixtures.write(to: path, count: 20, startMilliseconds: 1_795_000_000_000, spacing: 1000)

        let events = try ibmctl(["replay", "--journal", path, "--records", "events"])
        #expect(events.status == 0)
        let parsed = try events.lines.map(json)
        #expect(parsed.count == 10)
        #expect(parsed.allSatisfy { $0["kind"] == .string("opened") && $0["incident"]?["id"] != nil })
        #expect(parsed.first?["seq"] == .number("2"))

        let range = try ibmctl(["replay", "--journal", path, "--records", "all", "--from-seq", "5", "--until-seq", "8"])
        #expect(range.lines.count == 4)
        #expect(try json(range.lines[0])["id"] == .string("bor-000002"))  // seq 5: the third alert
        #expect(try json(range.lines[1])["seq"] == .number("6"))

        let since = RFC3339.format(.init(unixMilliseconds: 1_795_000_000_000 + 10_000))
        let until = RFC3339.format(.init(unixMilliseconds: 1_795_000_000_000 + 14_000))
        let timed = try ibmctl(["replay", "--journal", path, "--records", "all", "--since", since, "--until", until])
        #expect(timed.lines.count == 4)  // seqs 11...14; --until is exclusive

        let filtered = try ibmctl(["replay", "--journal", path, "--category", "illegal_fishing", "--sector", "LY-SEA"])
        #expect(filtered.lines.count == 2)  // alerts 2 and 7
        let none = try ibmctl(["replay", "--journal", path, "--origin", "customs"])
        #expect(none.status == 0 && none.stdout.isEmpty)
        let incident = try ibmctl(["replay", "--journal", path, "--records", "all", "--incident", "INC-3"])
        #expect(incident.lines.count == 2)

        let table = try ibmctl(["replay", "--journal", path, "--records", "all", "--format", "table"])
        #expect(table.lines.count == 21)
        #expect(table.lines.first?.hasPrefix("SEQ") == true)
        #expect(table.stdout.contains("Dehiba-Wazen BCP"))

        let recent = try ibmctl(["replay", "--journal", path, "--since", "-2h"])
        #expect(recent.status == 0 && recent.stdout.isEmpty)  // the fixture was journaled in 2026-11
    }

    /// Measures, does not assert: the machines are shared.
    @Test("--speed 10 replays a 5 s span in about half a second")
    func speedTen() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        try JournalFixtures.write(to: path, count: 21, spacing: 250)  // 20 gaps of 250 ms: 5 s
        let started = Date()
        let result = try ibmctl(["replay", "--journal", path, "--records", "all", "--speed", "10"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0)
        #expect(result.lines.count == 21)
        print("replay --speed 10 of a 5.000 s span: \(String(format: "%.3f", elapsed)) s wall clock, process start included")
        let fast = Date()
        _ = try ibmctl(["replay", "--journal", path, "--records", "all"])
        print("replay --speed max of the same span: \(String(format: "%.3f", Date().timeIntervalSince(fast))) s")
    }

    @Test("--to republishes every picture event to a subscriber")
    func republish() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        let total = 2000
        try JournalFixtures.writeEvents(to: path, count: total)
        let port = try freePort()
        let child = try Child(try Products.ibmctl(),
                              ["replay", "--journal", path, "--to", "tcp://127.0.0.1:\(port)", "--subscriber-wait", "20"],
                              in: folder)
        defer { child.stop() }

        let context = try ZMQContext()
        let subscriber = try context.makeSocket(.sub)
        defer { subscriber.close() }
        try subscriber.set(.linger, 0)
        try subscriber.subscribe("")
        try subscriber.connect("tcp://127.0.0.1:\(port)")
        var poller = Poller()
        try poller.add(subscriber)
        var seqs: [UInt64] = []
        var topics = Set<String>()
        let deadline = Date().addingTimeInterval(30)
        while seqs.count < total, Date() < deadline {
            guard try poller.poll(timeoutMilliseconds: 100).isReadable(0) else { continue }
            while let frames = try subscriber.receiveMultipart(dontWait: true) {
                guard frames.count == 2 else { continue }
                topics.insert(String(decoding: frames[0], as: UTF8.self))
                seqs.append(try Ibm_V1_PictureEvent(serializedBytes: frames[1]).seq)
            }
        }
        #expect(seqs == (1...UInt64(total)).map { $0 })
        #expect(topics.contains("all/ev/arms_trafficking/TN-LY"))
        #expect(child.wait(seconds: 20) == 0)
        #expect(child.stdout.isEmpty)  // with --to, stdout stays quiet unless --format is given
    }

    @Test("--to without a subscriber gives up with exit 2")
    func republishWithoutSubscriber() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("journal.sqlite")
        try JournalFixtures.writeEvents(to: path, count: 3)
        let result = try ibmctl(["replay", "--journal", path, "--to", "tcp://127.0.0.1:\(try freePort())",
                                 "--subscriber-wait", "0.5"], seconds: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("subscribers"))
    }
}
