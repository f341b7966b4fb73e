import Foundation
@testable import IBMCtl
import IBMProtocol
import Testing

/// `ibmctl feed`, run as a real process against real agency daemons and a real hub.
@Suite struct FeedTests {
    @Test func badOptionsAreUsageErrors() throws {
        for (arguments, message) in [
            (["feed", "--border", "nowhere"], "--border nowhere is not HOST:PORT"),
            (["feed", "--customs", "127.0.0.1:99999"], "--customs 127.0.0.1:99999 is not HOST:PORT"),
            (["feed", "--batch", "0"], "--batch must be from 1 to 10000"),
            (["feed", "--speed", "fast"], "fast"),
            (["feed", "--ack-timeout", "-1"], "--ack-timeout"),
        ] {
            let result = try ibmctl(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let missing = try ibmctl(["feed", "/nonexistent/alerts.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read /nonexistent/alerts.jsonl"), "\(missing.stderr)")
    }

    /// Alerts that cannot be read, or whose origin has no intake, are named and not sent.
    @Test func unreadableAlertsAreNamedAndFailTheRun() throws {
        let folder = try TemporaryFolder()
        let bad = SampleAlerts.alert(1).replacingOccurrences(of: "\"severity\":\"severe\"", with: "\"severity\":\"huge\"")
        let stranger = SampleAlerts.alert(2, origin: "navy")
        let file = folder.file("bad.jsonl")
        try (bad + "\n" + stranger + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ibmctl(["feed", "--speed", "max", file], in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("bad.jsonl:1: alert not sent"), "\(result.stderr)")
        #expect(result.stderr.contains("severity"), "\(result.stderr)")
        #expect(result.stderr.contains("bad.jsonl:2: alert nav-000002 not sent: origin \"navy\" has no intake"), "\(result.stderr)")
        #expect(result.stderr.contains("2 alerts read, 0 taken"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// An intake nobody listens on: retried for --retry-for, then exit 2 naming it.
    @Test func anUnreachableIntakeIsAConnectionError() throws {
        let folder = try TemporaryFolder()
        let port = try freePort()
        let file = folder.file("one.jsonl")
        try (SampleAlerts.alert(1) + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ibmctl(["feed", "--speed", "max", "--border", "127.0.0.1:\(port)", "--retry-for", "1", file], in: folder)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("cannot post to the border intake at 127.0.0.1:\(port)"), "\(result.stderr)")
    }
}

/// The hub and the three agency daemons (`--insecure`, free loopback ports), each agency
/// with its documented `Config/<agency>.yaml`, a few keys changed by `scripts/yaml-set.py`.
final class AgencyNetwork {
    let hub: HubUnderTest
    let folder: TemporaryFolder
    var ports: [String: Int] = [:]
    var daemons: [Child] = []

    /// `border=127.0.0.1:P` … for `ibmctl feed`.
    var intakeArguments: [String] {
        ["border", "migration", "customs"].flatMap { ["--\($0)", "127.0.0.1:\(ports[$0] ?? 0)"] }
    }

    init() throws {
        hub = try HubUnderTest()
        folder = try TemporaryFolder()
        let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for agency in ["border", "migration", "customs"] {
            let port = try freePort()
            ports[agency] = port
            let derive = try Child(URL(fileURLWithPath: "/usr/bin/env"), [
                "python3", repository.appendingPathComponent("scripts/yaml-set.py").path,
                repository.appendingPathComponent("Config/\(agency).yaml").path,
                "http.listen=127.0.0.1:\(port)", "hub.host=127.0.0.1", "hub.ingest_port=\(hub.ingest)",
                "hub.feed_port=\(hub.feed)", "hub.sync_port=\(hub.sync)", "data_dir=\(folder.file(agency))",
                "outbox.durability=os",
            ], in: folder)
            guard derive.wait(seconds: 30) == 0 else { throw TestFailure("yaml-set.py failed: \(derive.stderr)") }
            let config = folder.file("\(agency).yaml")
            try derive.stdout.write(toFile: config, atomically: true, encoding: .utf8)
            guard let binaries = Products.folder(containing: "ibm-\(agency)") else {
                throw TestFailure("ibm-\(agency) is not in the build products folder")
            }
            daemons.append(try Child(binaries.appendingPathComponent("ibm-\(agency)"),
                                     ["--config", config, "--insecure"], in: folder))
        }
        let deadline = Date().addingTimeInterval(60)
        for (index, agency) in ["border", "migration", "customs"].enumerated() {
            while Date() < deadline {
                if let response = try? HTTPGet.fetch(host: "127.0.0.1", port: ports[agency] ?? 0, path: "/healthz",
                                                     timeoutMilliseconds: 500), response.status == 200 { break }
                guard daemons[index].process.isRunning else {
                    throw TestFailure("ibm-\(agency) exited during start-up:\n\(daemons[index].stderr.suffix(2000))")
                }
                usleep(100_000)
            }
        }
    }

    deinit { for daemon in daemons { daemon.stop() } }
}

extension FeedTests {
    /// The first alerts of the dev scenario, routed by origin, all acked through the daemons;
    /// each answer line names the agency and the hub's outcome, and the journal holds them.
    @Test func feedsTheScenarioThroughTheAgenciesAndReportsEveryAck() throws {
        let network = try AgencyNetwork()
        let scenario = try String(contentsOfFile: scenarioPath, encoding: .utf8)
        let lines = scenario.split(separator: "\n").prefix(60)
        let file = network.folder.file("scenario.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let origins = lines.map { line -> String in
            ["border", "migration", "customs"].first { line.contains("\"origin\":\"\($0)\"") } ?? "?"
        }

        let result = try ibmctl(["feed", "--speed", "max", "--ack-timeout", "60", file] + network.intakeArguments,
                                seconds: 120, in: network.folder)
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try result.lines.map(json)
        #expect(answers.count == lines.count, "\(result.stdout)")
        for answer in answers {
            #expect(text(answer["state"]) == "acked", "\(answer)")
            #expect(["accepted", "correlated", "duplicate"].contains(text(answer["outcome"])), "\(answer)")
            #expect(text(answer["incident_id"]).hasPrefix("inc-"), "\(answer)")
        }
        // Routed by origin: each agency answered for its own alerts.
        for agency in ["border", "migration", "customs"] {
            #expect(answers.filter { text($0["agency"]) == agency }.count == origins.filter { $0 == agency }.count)
        }
        #expect(result.stderr.contains("\(lines.count) alerts read, \(lines.count) taken by the intakes"), "\(result.stderr)")
        #expect(result.stderr.contains("\(lines.count) acked"), "\(result.stderr)")

        // The hub journaled every distinct alert once.
        let replay = try ibmctl(["replay", "--journal", network.hub.journalPath, "--records", "alerts", "--format", "jsonl"])
        let journaled = Set(replay.lines.compactMap { try? text(json($0)["id"]) })
        let distinct = Set(answers.map { text($0["alert_id"]) })
        #expect(journaled == distinct, "journal: \(journaled.count), fed: \(distinct.count)")
    }

    /// A batch the intake refuses (400) is resent alert by alert: only the bad one is refused,
    /// the others are acked, and the run exits 1 naming it.
    @Test func anAlertAnIntakeRefusesIsReportedAndTheRestGetThrough() throws {
        let network = try AgencyNetwork()
        let good = [SampleAlerts.alert(1, origin: "border"), SampleAlerts.alert(2, origin: "migration"),
                    SampleAlerts.alert(3, origin: "migration")]
        // A valid alert, but migration's profile wants a document, or a name and a nationality,
        // for every person (Config/migration.yaml subject_rules): its intake answers 400.
        let refused = SampleAlerts.alert(9, origin: "migration")
            .replacingOccurrences(of: "\"subjects\":[]", with: "\"subjects\":[{\"kind\":\"person\",\"name\":\"Unknown\"}]")
        let file = network.folder.file("mixed.jsonl")
        try ([good[0], good[1], refused, good[2]].joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ibmctl(["feed", "--speed", "max", "--ack-timeout", "60", file] + network.intakeArguments,
                                seconds: 120, in: network.folder)
        #expect(result.status == 1, "\(result.stderr)")
        let answers = try result.lines.map(json)
        let rejected = answers.filter { text($0["state"]) == "rejected" }
        #expect(rejected.count == 1, "\(result.stdout)")
        #expect(text(rejected.first?["alert_id"]) == "mig-000009")
        #expect(text(rejected.first?["http_status"]) == "400")
        #expect(answers.filter { text($0["state"]) == "acked" }.count == 3, "\(result.stdout)")
        #expect(result.stderr.contains("refused alert mig-000009 (400)"), "\(result.stderr)")
    }

    var scenarioPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/scenarios/dev/alerts.jsonl").path
    }
}
