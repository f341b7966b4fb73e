@testable import AgencyNode
import Foundation
import IBMProtocol
import Logging
import TestSupport
import Testing

@Suite struct SpoolTests {
    final class Fixture {
        let directory: URL
        let store: OutboxStore
        let queue: IntakeQueue
        let watcher: SpoolWatcher
        let writer: Thread

        init() throws {
            directory = try TestPaths.temporaryDirectory("spool")
            let path = TestPaths.repository.appendingPathComponent("Config/customs.yaml").path
            let configuration = try AgencyConfiguration.load(path: path, agency: "customs")
            store = try OutboxStore(path: directory.appendingPathComponent("outbox.sqlite").path, fsync: false)
            let queue = IntakeQueue(store: store, maxBatch: 1000, logger: Logger(label: "test")) { _ in }
            self.queue = queue
            writer = Thread { queue.run() }
            writer.start()
            watcher = try SpoolWatcher(
                directory: directory.appendingPathComponent("spool").path,
                intake: AlertIntake(agency: "customs", profile: configuration.profile), queue: queue, decodeCAP: CAPSupport.decoder(agency: "customs"),
                metrics: AgencyMetrics(), logger: Logger(label: "test"))
        }

        func drop(_ name: String, _ text: String) throws {
            try text.write(toFile: watcher.inbox + "/" + name, atomically: true, encoding: .utf8)
        }

        func files(_ folder: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        }

        deinit {
            queue.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func alert(severity: String = "moderate",
                      subjects: String = #"[{"kind":"goods","commodity":"cigarettes","quantity":400,"unit":"cartons"}]"#) -> String {
        #"{"msg_type":"alert","observed_at":"2026-11-21T08:10:00Z","category":"smuggling_goods","severity":"\#(severity)","urgency":"expected","certainty":"observed","tlp":"green","headline":"Cigarettes in a truck","location":{"lat":32.0,"lon":10.7},"subjects":\#(subjects)"#
    }

    static let good = alert()

    @Test func goodFilesAreStoredAndMovedToDone() throws {
        let fixture = try Fixture()
        try fixture.drop("a.jsonl", Self.good + #","id":"cus-a1"}"# + "\n" + Self.good + #","id":"cus-a2"}"# + "\n")
        try fixture.drop("b.json", "[" + Self.good + "}," + Self.good + "}]")
        try fixture.drop(".partial.json", Self.good + "}")
        #expect(fixture.watcher.scanOnce() == 2)
        #expect(fixture.files(fixture.watcher.done) == ["a.jsonl", "b.json"])
        #expect(fixture.files(fixture.watcher.inbox) == [".partial.json"])
        #expect(fixture.files(fixture.watcher.work).isEmpty)
        let entries = try fixture.store.allEntries()
        #expect(entries.count == 4)
        #expect(entries.prefix(2).map(\.alert.id) == ["cus-a1", "cus-a2"])
        #expect(entries.allSatisfy { $0.alert.origin == "customs" && $0.alert.id.hasPrefix("cus-") })
        #expect(entries.map(\.source) == ["spool:a.jsonl", "spool:a.jsonl", "spool:b.json", "spool:b.json"])
    }

    @Test func aBadFileGoesToFailedWithAnErrorNamingEachBadLineAndNothingIsStored() throws {
        let fixture = try Fixture()
        let text = [
            Self.good + #","id":"cus-ok"}"#,
            Self.alert(severity: "awful") + #","id":"cus-b1"}"#,
            "",
            Self.alert(subjects: #"[{"kind":"goods","commodity":"fuel"}]"#) + #","origin":"border","id":"cus-b2"}"#,
        ].joined(separator: "\n")
        try fixture.drop("bad.jsonl", text)
        try fixture.drop("notes.txt", "hello")
        #expect(fixture.watcher.scanOnce() == 2)
        #expect(fixture.files(fixture.watcher.failed) == ["bad.jsonl", "bad.jsonl.error", "notes.txt", "notes.txt.error"])
        let error = try String(contentsOfFile: fixture.watcher.failed + "/bad.jsonl.error", encoding: .utf8)
        #expect(error.contains("3 problems; nothing in this file was stored"))
        #expect(error.contains("line 2: severity: \"awful\" is not one of"))
        #expect(error.contains("line 4: origin: must be \"customs\" (this agency) or absent"))
        #expect(error.contains("line 4: subjects[0]: a goods reported by customs needs quantity and unit"))
        #expect(!error.contains("line 1"))
        let unsupported = try String(contentsOfFile: fixture.watcher.failed + "/notes.txt.error", encoding: .utf8)
        #expect(unsupported.contains("unsupported file type"))
        #expect(try fixture.store.allEntries().isEmpty)
    }

    @Test func aFileLeftInWorkByACrashIsStoredOnceWithTheSameGeneratedIDs() throws {
        let fixture = try Fixture()
        let text = Self.good + "}\n" + Self.good + "}\n"
        try fixture.drop("x.jsonl", text)
        #expect(fixture.watcher.scanOnce() == 1)
        let first = try fixture.store.allEntries().map(\.alert.id)
        // As if the daemon died after storing but before moving the file: it is read again.
        try text.write(toFile: fixture.watcher.work + "/x.jsonl", atomically: true, encoding: .utf8)
        fixture.watcher.run(every: 10) { true }
        #expect(try fixture.store.allEntries().map(\.alert.id) == first)
        #expect(first.count == 2 && Set(first).count == 2)
        #expect(fixture.files(fixture.watcher.done).count == 2)  // x.jsonl and x.jsonl.<ms>
    }
}
