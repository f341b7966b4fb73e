import Foundation
import IBMProtocol
import SwiftProtobuf
import Testing

/// The labelled development traffic that DESIGN.md's sample data provides.
enum Scenario {
    static let alertsURL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/scenarios/dev/alerts.jsonl")

    static func lines() throws -> [String] {
        try String(contentsOf: alertsURL, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

@Suite struct ScenarioRoundTripTests {
    let codec = AlertJSON()

    @Test func everySampleAlertRoundTripsThroughProtobuf() throws {
        let lines = try Scenario.lines()
        #expect(lines.count == 729)
        for (number, line) in lines.enumerated() {
            let alert = try codec.decode(line)
            let wire: [UInt8] = try alert.serializedBytes()
            let back = try Ibm_V1_Alert(serializedBytes: wire)
            #expect(back == alert, "line \(number + 1)")
            let original = try JSONParser().parse(line)
            let encoded = try JSONParser().parse(codec.encode(back))
            #expect(encoded == original, "line \(number + 1): \(codec.encodeString(back))")
        }
    }

    @Test func decodesTheDesignExample() throws {
        let alert = try codec.decode(#"""
        {"id": "cus-000123", "origin": "customs", "msg_type": "alert", "references": [],
         "observed_at": "2026-11-21T08:10:00Z", "category": "arms_trafficking",
         "severity": "severe", "urgency": "immediate", "certainty": "observed",
         "tlp": "amber", "recipients": [],
         "headline": "4x4 convoy with rifles stopped near Dehiba",
         "location": {"lat": 32.01, "lon": 10.70, "place": "Dehiba-Wazen BCP", "sector": "TN-LY"},
         "subjects": [{"kind": "vehicle", "plate": "123 تونس 4567", "country": "TN"},
                      {"kind": "weapon", "type": "assault_rifle", "pattern": "AK", "calibre": "7.62x39", "quantity": 12}]}
        """#)
        #expect(alert.category == .armsTrafficking)
        #expect(alert.tlp == .amber)
        #expect(alert.subjects.count == 2)
        #expect(alert.subjects[0].vehicle.plate == "123 تونس 4567")
        #expect(alert.subjects[1].weapon.quantity == 12)
        #expect(RFC3339.format(alert.observedAt) == "2026-11-21T08:10:00Z")
    }

    @Test func decodesOneOrMany() throws {
        let line = try #require(try Scenario.lines().first)
        #expect(try codec.decodeOneOrMany(Array(line.utf8)).count == 1)
        let array = "[" + (try Scenario.lines().prefix(3).joined(separator: ",")) + "]"
        #expect(try codec.decodeOneOrMany(Array(array.utf8)).count == 3)
    }
}
