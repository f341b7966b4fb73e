import AgencyNode
import CAP
import Foundation
import IBMProtocol
import Journal
import TestSupport
import Testing

/// The hub and agency daemons as real processes on loopback ports.
@Suite(.serialized) struct AgencyEndToEndTests {
    static let codec = AlertJSON()

    /// A valid alert of `agency` in the JSON form.
    static func alertJSON(_ id: String, agency: String = "customs", headline: String = "Cigarettes in a truck",
                          lat: Double = 32.0, observed: String = "2026-11-21T08:10:00Z") -> String {
        #"{"id":"\#(id)","origin":"\#(agency)","msg_type":"alert","observed_at":"\#(observed)","category":"smuggling_goods","severity":"moderate","urgency":"expected","certainty":"observed","tlp":"green","headline":"\#(headline)","location":{"lat":\#(lat),"lon":10.7,"sector":"TN-LY"},"subjects":[{"kind":"goods","commodity":"cigarettes","quantity":400,"unit":"cartons"}]}"#
    }

    /// RFC 3339 time `hours` after 2026-01-01T00:00:00Z.
    static func hoursAfter2026(_ hours: Int) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: 1_767_225_600 + Double(hours) * 3600))
    }

    static func json(_ text: String?) -> [String: Any] {
        guard let data = text?.data(using: .utf8) else { return [:] }
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
    }

    /// Polls `GET /v1/alerts/{id}` until it is no longer queued.
    static func answered(_ agency: AgencyProcess, _ id: String, seconds: Double = 60) -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = json(agency.get("/v1/alerts/\(id)")?.body)
            if let state = last["state"] as? String, state != "queued" { return last }
            usleep(50_000)
        }
        return last
    }

    /// Alert records of the hub journal: (origin, alert id) in seq order.
    static func journalAlerts(_ hub: HubProcess) throws -> [(origin: String, id: String, seq: UInt64)] {
        let reader = try JournalReader(path: hub.journalPath)
        defer { reader.close() }
        var result: [(String, String, UInt64)] = []
        let high = try reader.highSeq()
        guard high > 0 else { return [] }
        try reader.scan(from: 1, through: high, filter: RecordFilter(kinds: [.alert])) { record in
            result.append((record.origin, record.alertID, record.seq))
            return true
        }
        return result
    }

    @Test func anAlertPostedToCustomsReachesTheBorderFeedAndPicture() throws {
        let hub = try HubProcess(label: "ag-flow")
        try hub.start()
        defer { hub.stop() }
        let customs = try AgencyProcess("customs", hub: hub)
        let border = try AgencyProcess("border", hub: hub)
        try customs.start()
        try border.start()
        defer { customs.stop(); border.stop() }

        let posted = customs.post(Self.alertJSON("cus-flow-1"))
        #expect(posted?.status == 202)
        #expect(Self.json(posted?.body)["ids"] as? [String] == ["cus-flow-1"])
        let state = Self.answered(customs, "cus-flow-1")
        #expect(state["state"] as? String == "acked")
        #expect(state["outcome"] as? String == "accepted")
        let incident = try #require(state["incident_id"] as? String)
        #expect((state["seq"] as? Int ?? 0) > 0)

        // The border feed from the start of the inbox: the event that opened the incident, once.
        let events = HTTPClient.events(port: border.httpPort, path: "/v1/feed", headers: ["Last-Event-ID": "0"], timeoutSeconds: 30) {
            $0.contains { $0.data.contains("cus-flow-1") }
        }
        let opened = events.filter { $0.data.contains("cus-flow-1") }
        #expect(opened.count == 1)
        #expect(opened.first?.event == "opened")
        let event = Self.json(opened.first?.data)
        #expect((event["incident"] as? [String: Any])?["id"] as? String == incident)
        #expect(opened.first?.id == String(event["seq"] as? Int ?? -1))

        // Resuming after that event gives nothing old again.
        let seq = opened.first?.id ?? "0"
        let resumed = HTTPClient.events(port: border.httpPort, path: "/v1/feed", headers: ["Last-Event-ID": seq], timeoutSeconds: 1.5) { _ in false }
        #expect(resumed.filter { $0.id != nil }.isEmpty)

        let picture = Self.json(border.get("/v1/picture")?.body)
        let incidents = picture["incidents"] as? [[String: Any]] ?? []
        let shown = try #require(incidents.first { $0["id"] as? String == incident })
        let contributions = shown["contributions"] as? [[String: Any]] ?? []
        #expect(contributions.map { $0["alert_id"] as? String } == ["cus-flow-1"])
        #expect(contributions.first?["origin"] as? String == "customs")
        // focus=true keeps only the profile's `receives`: border does not list smuggling_goods.
        let focused = Self.json(border.get("/v1/picture?focus=true")?.body)
        #expect((focused["incidents"] as? [[String: Any]] ?? []).isEmpty)
    }

    @Test func alertsOfAllThreeAgenciesAboutOneEventBecomeOneIncident() throws {
        // A real event of the dev scenario reported by all three agencies.
        let scenario = TestPaths.devScenario
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: scenario.appendingPathComponent("truth.json"))) as? [String: Any]
        let events = truth?["events"] as? [String: [String]] ?? [:]
        var lines: [String: String] = [:]
        for line in try String(contentsOf: scenario.appendingPathComponent("alerts.jsonl"), encoding: .utf8).split(separator: "\n") {
            let alert = try Self.codec.decode(String(line))
            if lines[alert.id] == nil { lines[alert.id] = String(line) }
        }
        let origins = ["bor-": "border", "mig-": "migration", "cus-": "customs"]
        var intakes: [String: AlertIntake] = [:]
        for agency in origins.values {
            let path = TestPaths.repository.appendingPathComponent("Config/\(agency).yaml").path
            let configuration = try AgencyConfiguration.load(path: path, agency: agency)
            intakes[agency] = AlertIntake(agency: agency, profile: configuration.profile)
        }
        // The first event with one alert from each agency, each passing its agency's profile.
        let candidates = events.keys.sorted().compactMap { key -> [String]? in
            let ids = events[key] ?? []
            let accepted = ids.filter { id in
                guard let line = lines[id], let intake = intakes[origins[String(id.prefix(4))] ?? ""],
                      let alerts = try? intake.decodeJSON(Array(line.utf8)) else { return false }
                return alerts.first?.msgType == .alert
            }
            guard accepted.count == ids.count else { return nil }
            return Set(ids.map { String($0.prefix(4)) }).count == 3 ? ids : nil
        }
        let chosen = try #require(candidates.first)

        let hub = try HubProcess(label: "ag-three")
        try hub.start()
        defer { hub.stop() }
        var daemons: [String: AgencyProcess] = [:]
        for agency in ["border", "migration", "customs"] {
            let daemon = try AgencyProcess(agency, hub: hub)
            try daemon.start()
            daemons[agency] = daemon
        }
        defer { daemons.values.forEach { $0.stop() } }
        var incidents: Set<String> = []
        for id in chosen {
            let daemon = try #require(daemons[origins[String(id.prefix(4))] ?? ""])
            let response = daemon.post(lines[id] ?? "")
            #expect(response?.status == 202, "\(id): \(response?.body ?? "no answer")")
            let state = Self.answered(daemon, id)
            #expect(state["state"] as? String == "acked", "\(id): \(state)")
            if let incident = state["incident_id"] as? String { incidents.insert(incident) }
        }
        #expect(incidents.count == 1, "event \(chosen) became incidents \(incidents)")
        // Every daemon's picture shows it corroborated by the three agencies.
        for (agency, daemon) in daemons {
            var corroboration = 0
            let deadline = Date().addingTimeInterval(30)
            while corroboration != 3, Date() < deadline {
                let picture = Self.json(daemon.get("/v1/picture")?.body)
                let shown = (picture["incidents"] as? [[String: Any]] ?? []).first { incidents.contains($0["id"] as? String ?? "") }
                corroboration = shown?["corroboration"] as? Int ?? 0
                if corroboration != 3 { usleep(100_000) }
            }
            #expect(corroboration == 3, "\(agency) sees corroboration \(corroboration)")
        }
    }

    @Test func tenThousandAlertsQueuedWhileTheHubIsDownAreAckedOnceInOrder() throws {
        let hub = try HubProcess(label: "ag-outage")
        try hub.start()
        let customs = try AgencyProcess("customs", hub: hub, outbox: ["resend_after: 2s"])
        try customs.start()
        defer { customs.stop(); hub.stop() }
        #expect(customs.wait(seconds: 30) { $0["hub_connected"] as? Bool == true })
        hub.stop()
        #expect(customs.wait(seconds: 30) { $0["hub_connected"] as? Bool == false })

        let ids = (0..<10_000).map { String(format: "cus-out-%05d", $0) }
        for batch in stride(from: 0, to: ids.count, by: 1000) {
            // Unrelated alerts (hours and degrees apart), so that each opens its own incident.
            let body = "[" + ids[batch..<batch + 1000].enumerated().map { offset, id in
                Self.alertJSON(id, lat: -60 + Double(offset) * 0.12, observed: Self.hoursAfter2026(batch + offset))
            }.joined(separator: ",") + "]"
            let response = customs.post(body)
            #expect(response?.status == 202, "\(response?.body.prefix(300) ?? "no answer")")
        }
        let health = customs.health() ?? [:]
        #expect(health["outbox_depth"] as? Int == 10_000)
        #expect(Self.json(customs.get("/v1/alerts/cus-out-09999")?.body)["state"] as? String == "queued")

        try hub.start()
        #expect(customs.wait(seconds: 300) { $0["outbox_depth"] as? Int == 0 }, "outbox did not drain: \(customs.health() ?? [:])")
        let journal = try Self.journalAlerts(hub).filter { $0.origin == "customs" }
        #expect(journal.count == 10_000, "journal holds \(journal.count) customs alerts")
        let inOrder = journal.map(\.id) == ids
        #expect(inOrder, "journal order differs from intake order")
        let last = Self.json(customs.get("/v1/alerts/cus-out-09999")?.body)
        #expect(last["state"] as? String == "acked")
        #expect(last["seq"] as? Int == Int(journal.last?.seq ?? 0))
        let metrics = customs.get("/metrics")?.body ?? ""
        #expect(metrics.contains("ibm_agency_outbox_depth 0"))
    }

    @Test func aDaemonKilledMidFlowLosesAndDoublesNothingItAnswered() throws {
        let hub = try HubProcess(label: "ag-kill")
        try hub.start()
        defer { hub.stop() }
        let border = try AgencyProcess("border", hub: hub)
        try border.start()
        var answered: [String] = []
        var batch = 0
        // Post batches until the daemon is killed while alerts are still flowing to the hub.
        while batch < 400 {
            let ids = (0..<50).map { "bor-kill-\(batch)-\($0)" }
            let body = "[" + ids.map { Self.alertJSON($0, agency: "border") }.joined(separator: ",") + "]"
            guard let response = border.post(body) else { break }
            if response.status == 202 { answered += ids }
            batch += 1
            if batch == 30 { border.kill9() }
        }
        #expect(answered.count >= 30 * 50)
        try border.start()
        defer { border.stop() }
        #expect(border.wait(seconds: 120) { $0["outbox_depth"] as? Int == 0 })
        let journal = try Self.journalAlerts(hub).filter { $0.origin == "border" }.map(\.id)
        #expect(Set(journal).count == journal.count, "an alert is in the journal twice")
        let missing = Set(answered).subtracting(journal)
        #expect(missing.isEmpty, "\(missing.count) answered alerts never reached the hub")
        #expect(Set(journal).isSubset(of: Set(answered)))
    }

    @Test func aBadPostIsRefusedNamingEveryBadFieldAndNothingIsQueued() throws {
        let hub = try HubProcess(label: "ag-bad")
        try hub.start()
        defer { hub.stop() }
        let migration = try AgencyProcess("migration", hub: hub)
        try migration.start()
        defer { migration.stop() }
        let good = #"{"id":"mig-good-1","msg_type":"alert","observed_at":"2026-11-21T08:10:00Z","category":"irregular_migration","severity":"moderate","urgency":"expected","certainty":"observed","tlp":"green","headline":"Group at the fence","location":{"lat":32.0,"lon":10.7}}"#
        let bad = #"{"id":"mig bad","origin":"customs","msg_type":"alert","observed_at":"1999-01-01T00:00:00Z","category":"piracy","severity":"severe","urgency":"now","certainty":"observed","tlp":"green","headline":"","location":{"lat":95,"lon":10},"subjects":[{"kind":"person","name":"Omar"}]}"#
        let response = try #require(migration.post("[\(good),\(bad)]"))
        #expect(response.status == 400)
        let issues = (Self.json(response.body)["issues"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        for field in ["[1].id", "[1].origin", "[1].observed_at", "[1].category", "[1].urgency", "[1].headline",
                      "[1].location.lat", "[1].subjects[0]"] {
            #expect(issues.contains(field), "\(field) not named in \(issues)")
        }
        #expect(!issues.contains { $0.hasPrefix("[0]") })
        #expect(migration.get("/v1/alerts/mig-good-1")?.status == 404)
        #expect(migration.health()?["outbox_depth"] as? Int == 0)
        #expect(migration.post("{not json")?.status == 400)
        #expect(migration.get("/metrics")?.body.contains("ibm_agency_intake_rejected_total 2") == true)
    }

    @Test func aBadSpoolFileEndsInFailedWithItsErrorAndAGoodOneIsDelivered() throws {
        let hub = try HubProcess(label: "ag-spool")
        try hub.start()
        defer { hub.stop() }
        let customs = try AgencyProcess("customs", hub: hub)
        try customs.start()
        defer { customs.stop() }
        let incoming = customs.spool.appendingPathComponent("in")
        let bad = Self.alertJSON("cus-sp-1") + "\n" + #"{"id":"cus-sp-2","msg_type":"alert"}"# + "\n"
        try bad.write(to: customs.directory.appendingPathComponent(".bad.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.moveItem(at: customs.directory.appendingPathComponent(".bad.jsonl"),
                                         to: incoming.appendingPathComponent("bad.jsonl"))
        try Self.alertJSON("cus-sp-3").write(to: incoming.appendingPathComponent("good.json"), atomically: true, encoding: .utf8)
        let failed = customs.spool.appendingPathComponent("failed/bad.jsonl.error")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: failed.path), Date() < deadline { usleep(50_000) }
        let error = try String(contentsOf: failed, encoding: .utf8)
        #expect(error.contains("line 2: observed_at: is required"))
        #expect(error.contains("line 2: headline"))
        #expect(!error.contains("line 1"))
        #expect(FileManager.default.fileExists(atPath: customs.spool.appendingPathComponent("failed/bad.jsonl").path))
        #expect(customs.get("/v1/alerts/cus-sp-1")?.status == 404)
        #expect(Self.answered(customs, "cus-sp-3")["state"] as? String == "acked")
        #expect(FileManager.default.fileExists(atPath: customs.spool.appendingPathComponent("done/good.json").path))
    }

    @Test func capSamplesPostedThroughTheAPIRoundTrip() throws {
        let hub = try HubProcess(label: "ag-cap")
        try hub.start()
        defer { hub.stop() }
        let samples = TestPaths.repository.appendingPathComponent("Tests/CAPTests/Samples")
        // Each sample to its agency, after the JSON alerts its references name.
        let plan: [(agency: String, prerequisites: [String], sample: String)] = [
            ("border", [], "polygon-alert.xml"),
            ("customs", ["cus-000120"], "circle-alert.xml"),
            ("customs", [], "update-references.xml"),
            ("migration", ["mig-000775"], "cancel.xml"),
        ]
        var daemons: [String: AgencyProcess] = [:]
        defer { daemons.values.forEach { $0.stop() } }
        for step in plan {
            if daemons[step.agency] == nil {
                let daemon = try AgencyProcess(step.agency, hub: hub)
                try daemon.start()
                daemons[step.agency] = daemon
            }
            let daemon = try #require(daemons[step.agency])
            for id in step.prerequisites {
                var alert = try Self.codec.decode(Self.alertJSON(id, agency: step.agency))
                if step.agency == "migration" { alert.category = .irregularMigration; alert.subjects = [] }
                #expect(daemon.post(Self.codec.encodeString(alert))?.status == 202)
                #expect(Self.answered(daemon, id)["state"] as? String == "acked")
            }
            let xml = try String(contentsOf: samples.appendingPathComponent(step.sample), encoding: .utf8)
            let response = try #require(daemon.post(xml, contentType: "application/cap+xml"))
            #expect(response.status == 202, "\(step.sample): \(response.body)")
            let ids = Self.json(response.body)["ids"] as? [String] ?? []
            let imported = try CAPImport.alerts(fromXML: Array(xml.utf8), origin: step.agency)
            #expect(ids == imported.map(\.id))
            for (id, alert) in zip(ids, imported) {
                let state = Self.answered(daemon, id)
                #expect(state["state"] as? String == "acked", "\(step.sample) \(id): \(state)")
                let exported = try #require(daemon.get("/v1/alerts/\(id)?format=cap"))
                #expect(exported.headers["content-type"]?.hasPrefix("application/cap+xml") == true)
                let again = try CAPImport.alerts(fromXML: Array(exported.body.utf8), origin: step.agency)
                #expect(again == [alert], "\(step.sample) did not round-trip")
            }
        }
        let bad = try #require(daemons["border"]?.post("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier></alert>",
                                                      contentType: "application/cap+xml"))
        #expect(bad.status == 400)
        #expect(bad.body.contains("alert/"))
    }
}
