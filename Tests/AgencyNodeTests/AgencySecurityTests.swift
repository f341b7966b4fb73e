import Foundation
import TestSupport
import Testing
import ZeroMQ

/// Agency daemons as CURVE clients of a secure hub: origin from the key, release by TLP.
@Suite(.serialized) struct AgencySecurityTests {
    @Test func daemonsUseTheirKeysAndSeeOnlyWhatTheHubReleasesToThem() throws {
        let keys = try TestPaths.temporaryDirectory("agency-keys")
        defer { try? FileManager.default.removeItem(at: keys) }
        let hubKey = try CurveKeyPair.generate()
        try hubKey.secretKeyZ85.write(to: keys.appendingPathComponent("hub.key"), atomically: true, encoding: .utf8)
        try hubKey.publicKeyZ85.write(to: keys.appendingPathComponent("hub.pub"), atomically: true, encoding: .utf8)
        var identities = "identities:\n"
        for name in ["border", "migration", "customs"] {
            let pair = try CurveKeyPair.generate()
            try pair.secretKeyZ85.write(to: keys.appendingPathComponent("\(name).key"), atomically: true, encoding: .utf8)
            identities += "  - name: \(name)\n    role: agency\n    public_key: \"\(pair.publicKeyZ85)\"\n"
        }
        let hub = try HubProcess(
            label: "ag-secure",
            extraYAML: "security:\n  server_secret_key_file: \(keys.appendingPathComponent("hub.key").path)\n" + identities)
        try hub.start(arguments: [])
        defer { hub.stop() }
        var daemons: [String: AgencyProcess] = [:]
        for agency in ["border", "migration", "customs"] {
            let daemon = try AgencyProcess(agency, hub: hub, keyDirectory: keys)
            try daemon.start()
            daemons[agency] = daemon
        }
        defer { daemons.values.forEach { $0.stop() } }
        let customs = try #require(daemons["customs"])

        // Green: every member sees it. Amber+strict for migration: border must not.
        let green = AgencyEndToEndTests.alertJSON("cus-sec-green").replacingOccurrences(of: #""origin":"customs","#, with: "")
        let strict = AgencyEndToEndTests.alertJSON("cus-sec-strict", lat: 12.0)
            .replacingOccurrences(of: #""tlp":"green""#, with: #""tlp":"amber+strict","recipients":["migration"]"#)
        #expect(customs.post("[\(green),\(strict)]")?.status == 202)
        let greenState = AgencyEndToEndTests.answered(customs, "cus-sec-green")
        let strictState = AgencyEndToEndTests.answered(customs, "cus-sec-strict")
        #expect(greenState["state"] as? String == "acked", "\(greenState)")
        #expect(strictState["state"] as? String == "acked", "\(strictState)")
        #expect((greenState["alert"] as? [String: Any])?["origin"] as? String == "customs")

        func pictureIDs(_ agency: String) -> Set<String> {
            let picture = AgencyEndToEndTests.json(daemons[agency]?.get("/v1/picture")?.body)
            return Set((picture["incidents"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        }
        let greenIncident = greenState["incident_id"] as? String ?? "?"
        let strictIncident = strictState["incident_id"] as? String ?? "?"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !(pictureIDs("migration").isSuperset(of: [greenIncident, strictIncident]) && pictureIDs("border").contains(greenIncident)) {
            usleep(100_000)
        }
        #expect(pictureIDs("migration").isSuperset(of: [greenIncident, strictIncident]))
        #expect(pictureIDs("border").contains(greenIncident))
        #expect(!pictureIDs("border").contains(strictIncident), "border received an amber+strict report for migration")
        let feed = HTTPClient.events(port: daemons["border"]?.httpPort ?? 0, path: "/v1/feed", headers: ["Last-Event-ID": "0"],
                                     timeoutSeconds: 2) { _ in false }
        #expect(feed.contains { $0.data.contains("cus-sec-green") })
        #expect(!feed.contains { $0.data.contains("cus-sec-strict") })
    }
}
