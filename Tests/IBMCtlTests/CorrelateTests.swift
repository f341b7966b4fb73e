import Foundation
import Testing

@Suite("correlate")
struct CorrelateTests {
    @Test("clusters a JSON lines file and scores it against a truth file")
    func scoreAgainstTruth() throws {
        let folder = try TemporaryFolder()
        let observed = "2026-11-21T08:10:00Z"
        func withPlate(_ line: String, _ plate: String) -> String {
            line.replacingOccurrences(of: "\"subjects\":[]",
                                      with: "\"subjects\":[{\"kind\":\"vehicle\",\"plate\":\"\(plate)\",\"country\":\"TN\"}]")
        }
        let lines = [
            withPlate(SampleAlerts.alert(0, origin: "border", observedAt: observed), "123 TUN 4567"),
            withPlate(SampleAlerts.alert(0, origin: "customs", observedAt: observed), "123TUN4567"),
            SampleAlerts.alert(1, origin: "migration", observedAt: observed),
        ]
        let alerts = folder.file("alerts.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: alerts, atomically: true, encoding: .utf8)
        let truth = folder.file("truth.json")
        try """
            {"events": {"E1": ["bor-000000", "cus-000000"], "E2": ["mig-000001"]}, "hard_negatives": [], "resend_lines": []}
            """.write(toFile: truth, atomically: true, encoding: .utf8)

        let scored = try ibmctl(["correlate", "--score", truth, alerts])
        #expect(scored.status == 0, "stderr: \(scored.stderr)")
        #expect(scored.lines.first?.hasPrefix("engine    precision ") == true)
        #expect(scored.lines.dropFirst().first?.hasPrefix("baseline  precision ") == true)

        let clusters = try ibmctl(["correlate", alerts])
        #expect(clusters.status == 0)
        let parsed = try clusters.lines.map(json)
        #expect(parsed.count == 3)
        #expect(parsed.allSatisfy { keys($0) == ["alert_id", "incident_id"] })

        #expect(try ibmctl(["correlate", "--score", folder.file("absent.json"), alerts]).status == 2)
    }
}
