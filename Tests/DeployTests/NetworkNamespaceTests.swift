import Foundation
import TestSupport
import Testing

/// Four hosts without Docker: the hub in one network namespace, each agency daemon in its
/// own, joined by veth pairs (10.213.N.1 hub side, 10.213.N.2 agency side), with CURVE keys as
/// in a real deployment. Alerts of one real event, posted to the three agencies, must become
/// one incident at the hub and come back to an agency through its feed, and the bytes must
/// have crossed each veth. Skipped, with the reason printed, where namespaces cannot be made.
@Suite struct NetworkNamespaceTests {
    static let agencies = ["border", "migration", "customs"]
    static let agencyPorts = ["border": 7781, "migration": 7782, "customs": 7783]
    /// EV0002 of the dev scenario: reported by customs, migration and border.
    static let event = ["cus-028409", "mig-023753", "bor-002027", "bor-002069"]

    @Test func agenciesInTheirOwnNamespacesCorrelateThroughTheHub() throws {
        let tag = String(getpid() % 100_000)
        let network = Namespaces(tag: tag)
        if let reason = network.unavailableReason() {
            print("NetworkNamespaceTests: skipped: \(reason)")
            return
        }
        defer { network.remove() }
        try network.create(agencies: Self.agencies)

        let folder = try TestPaths.temporaryDirectory("netns")
        defer { try? FileManager.default.removeItem(at: folder) }
        let repository = TestPaths.repository
        let keys = folder.appendingPathComponent("keys").path
        let identities = try runLogged("/bin/bash", [repository.appendingPathComponent("scripts/dev-keys.sh").path, keys],
                                       environment: ["IBMCTL": TestPaths.executable("ibmctl").path], in: folder, label: "keys")
        try #require(identities.status == 0, "dev-keys.sh: \(identities.output)")
        let hubConfig = folder.appendingPathComponent("hub.yaml")
        try """
            endpoints:
              ingest: tcp://*:7701
              feed: tcp://*:7702
              sync: tcp://*:7703
              http: 127.0.0.1:7780
            data_dir: \(folder.appendingPathComponent("hub").path)
            journal:
              durability: os
            picture:
              rules: \(repository.appendingPathComponent("Config/correlation.yaml").path)
              expire_every: 3650d
            security:
              server_secret_key_file: \(keys)/hub.key
            \(identities.output)
            """.write(to: hubConfig, atomically: true, encoding: .utf8)

        var daemons: [ChildProcess] = []
        defer { for daemon in daemons.reversed() { daemon.terminate(graceSeconds: 5) } }
        daemons.append(try network.start("hub", TestPaths.executable("ibm-hub").path, ["--config", hubConfig.path],
                                         log: folder.appendingPathComponent("hub.log")))
        try network.waitForHealth("hub", port: 7780, process: daemons[0])

        // Each agency: its documented config, pointed at the hub across its veth.
        for (index, agency) in Self.agencies.enumerated() {
            let derived = try runLogged("/usr/bin/env", [
                "python3", repository.appendingPathComponent("scripts/yaml-set.py").path,
                repository.appendingPathComponent("Config/\(agency).yaml").path,
                "hub.host=\(Namespaces.hubAddress(index + 1))", "security.key_dir=\(keys)",
                "data_dir=\(folder.appendingPathComponent(agency).path)",
            ], in: folder, label: "config-\(agency)")
            try #require(derived.status == 0, "yaml-set.py: \(derived.output)")
            let config = folder.appendingPathComponent("\(agency).yaml")
            try derived.output.write(to: config, atomically: true, encoding: .utf8)
            let daemon = try network.start(agency, TestPaths.executable("ibm-\(agency)").path, ["--config", config.path],
                                           log: folder.appendingPathComponent("\(agency)-daemon.log"))
            daemons.append(daemon)
        }
        for (index, agency) in Self.agencies.enumerated() {
            try network.waitForHealth(agency, port: Self.agencyPorts[agency] ?? 0, process: daemons[index + 1])
        }

        // The event's alerts, each fed from inside its agency's namespace by `ibmctl feed`.
        let scenario = try String(contentsOf: TestPaths.devScenario.appendingPathComponent("alerts.jsonl"), encoding: .utf8)
        let lines = scenario.split(separator: "\n").filter { line in Self.event.contains { line.contains("\"id\":\"\($0)\"") } }
        try #require(lines.count >= Self.event.count, "the dev scenario no longer holds EV0002")
        for agency in Self.agencies {
            let file = folder.appendingPathComponent("\(agency).jsonl")
            try (lines.filter { $0.contains("\"origin\":\"\(agency)\"") }.joined(separator: "\n") + "\n")
                .write(to: file, atomically: true, encoding: .utf8)
            let fed = try runLogged("/usr/sbin/ip", [
                "netns", "exec", network.name(agency), TestPaths.executable("ibmctl").path, "feed", "--speed", "max",
                "--\(agency)", "127.0.0.1:\(Self.agencyPorts[agency] ?? 0)", "--ack-timeout", "60", file.path,
            ], in: folder, label: "feed-\(agency)")
            #expect(fed.status == 0, "feed into \(agency): \(fed.output)")
            #expect(fed.output.contains("\"state\":\"acked\""), "feed into \(agency): \(fed.output)")
        }

        // The hub's picture: one incident holds the alerts of all three agencies (its latest
        // event in the journal; the journal is a file, read from outside the namespaces).
        let events = try runLogged(TestPaths.executable("ibmctl").path, [
            "replay", "--journal", folder.appendingPathComponent("hub/journal.sqlite").path, "--records", "events",
            "--format", "jsonl",
        ], in: folder, label: "replay")
        let incident = events.output.split(separator: "\n").last { line in
            Self.event.allSatisfy { line.contains("\"alert_id\":\"\($0)\"") }
        }
        #expect(incident != nil, "no incident joins \(Self.event) at the hub:\n\(events.output.prefix(3000))")
        #expect(incident?.contains("\"corroboration\":3") == true, "\(incident ?? "")")

        // Back across the veth: migration's own picture, from its inbox, holds customs' report
        // (amber+strict for migration), and border's holds the incident without it.
        var migrationView = ""
        for _ in 0..<300 {
            migrationView = try runLogged("/usr/sbin/ip", [
                "netns", "exec", network.name("migration"), "curl", "-s", "127.0.0.1:7782/v1/picture",
            ], in: folder, label: "migration-picture").output
            if migrationView.contains("cus-028409") { break }
            usleep(100_000)
        }
        #expect(migrationView.contains("cus-028409"), "migration's /v1/picture lacks customs' alert: \(migrationView.prefix(2000))")
        var borderView = ""
        for _ in 0..<300 {
            borderView = try runLogged("/usr/sbin/ip", [
                "netns", "exec", network.name("border"), "curl", "-s", "127.0.0.1:7781/v1/picture",
            ], in: folder, label: "border-picture").output
            if borderView.contains("mig-023753") { break }
            usleep(100_000)
        }
        #expect(borderView.contains("mig-023753"), "border's /v1/picture lacks migration's alert: \(borderView.prefix(2000))")
        #expect(!borderView.contains("cus-028409"), "border sees customs' amber+strict report for migration: \(borderView.prefix(2000))")

        // And the traffic really crossed each pair of interfaces.
        for index in 1...Self.agencies.count {
            let received = try network.receivedBytes(namespace: "hub", interface: network.hubInterface(index))
            #expect(received > 1000, "the hub's veth \(network.hubInterface(index)) received only \(received) bytes")
        }
    }
}

/// Network namespaces and veth pairs made (and removed) by one test run.
struct Namespaces {
    let tag: String

    func name(_ host: String) -> String { "ibmt\(tag)-\(host)" }
    /// Interface names stay within the kernel's 15 characters.
    func hubInterface(_ index: Int) -> String { "ib\(tag)h\(index)" }
    func agencyInterface(_ index: Int) -> String { "ib\(tag)a\(index)" }
    static func hubAddress(_ index: Int) -> String { "10.213.\(index).1" }

    /// Nil when namespaces can be made here; else why not.
    func unavailableReason() -> String? {
        guard getuid() == 0 else { return "making network namespaces needs root (uid is \(getuid()))" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return "/usr/sbin/ip (iproute2) is not installed" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return "curl is not installed" }
        let probe = "ibmt\(tag)-probe"
        guard let result = try? runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "add", probe]) else {
            return "cannot run ip"
        }
        guard result.status == 0 else {
            return "ip netns add failed: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        _ = try? runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "del", probe])
        return nil
    }

    func create(agencies: [String]) throws {
        var commands: [[String]] = [["netns", "add", name("hub")], ["-n", name("hub"), "link", "set", "lo", "up"]]
        for (offset, agency) in agencies.enumerated() {
            let index = offset + 1
            commands += [
                ["netns", "add", name(agency)],
                ["-n", name(agency), "link", "set", "lo", "up"],
                ["link", "add", hubInterface(index), "netns", name("hub"), "type", "veth",
                 "peer", "name", agencyInterface(index), "netns", name(agency)],
                ["-n", name("hub"), "addr", "add", "\(Self.hubAddress(index))/24", "dev", hubInterface(index)],
                ["-n", name(agency), "addr", "add", "10.213.\(index).2/24", "dev", agencyInterface(index)],
                ["-n", name("hub"), "link", "set", hubInterface(index), "up"],
                ["-n", name(agency), "link", "set", agencyInterface(index), "up"],
            ]
        }
        for command in commands {
            let result = try runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), command)
            guard result.status == 0 else { throw TestFailure("ip \(command.joined(separator: " ")): \(result.stderr)") }
        }
    }

    /// Deletes every namespace of this run (their veths go with them).
    func remove() {
        for host in ["hub"] + NetworkNamespaceTests.agencies {
            _ = try? runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "del", name(host)])
        }
    }

    func start(_ host: String, _ executable: String, _ arguments: [String], log: URL) throws -> ChildProcess {
        // `ip netns exec` execs the daemon in place: signals to this pid reach it.
        try ChildProcess(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "exec", name(host), executable] + arguments, logURL: log)
    }

    /// Waits until GET /healthz on 127.0.0.1:`port` inside `host` answers 200.
    func waitForHealth(_ host: String, port: Int, process: ChildProcess, seconds: Double = 60) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard process.isRunning else { throw TestFailure("\(host) exited during start-up:\n\(process.log.suffix(3000))") }
            let probe = try runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), [
                "netns", "exec", name(host), "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "127.0.0.1:\(port)/healthz",
            ], timeoutSeconds: 10)
            if probe.stdout == "200" { return }
            usleep(200_000)
        }
        throw TestFailure("\(host) did not answer /healthz with 200 within \(seconds) s:\n\(process.log.suffix(3000))")
    }

    func receivedBytes(namespace host: String, interface: String) throws -> Int {
        let result = try runCommand(URL(fileURLWithPath: "/usr/sbin/ip"), [
            "netns", "exec", name(host), "cat", "/sys/class/net/\(interface)/statistics/rx_bytes",
        ])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
