import CAP
import Foundation
import IBMProtocol
import SwiftProtobuf
import Testing

@Suite struct CAPRoundTripTests {
    /// import → export → import gives the same alerts, for every sample, in both output layouts.
    @Test(arguments: Samples.names)
    func samplesRoundTrip(name: String) throws {
        let alerts = try Samples.alerts(name)
        #expect(!alerts.isEmpty)
        for alert in alerts {
            for singleLine in [false, true] {
                let xml = CAPExport.xml(for: alert, sender: "\(alert.origin)@ibm.example", singleLine: singleLine)
                let again = try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil)
                #expect(again == [alert], "\(name), single line: \(singleLine)\n\(xml)")
                if singleLine { #expect(!xml.contains("\n")) }
            }
        }
    }

    /// The development scenario's alerts (JSON form) survive export to CAP and import back unchanged.
    @Test func scenarioAlertsRoundTripThroughCAP() throws {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/scenarios/dev/alerts.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 100)
        let codec = AlertJSON()
        var checked = 0
        for line in lines {
            let alert = try codec.decode(String(line))
            let xml = CAPExport.xml(for: alert, sender: alert.origin)
            let again = try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil)
            #expect(again == [alert], "\(alert.id)\n\(xml)")
            checked += 1
        }
        #expect(checked == lines.count)
    }

    @Test func scopeFollowsTheTLPLabel() throws {
        var alert = try #require(try Samples.alerts("circle-alert").first)
        var xml = CAPExport.xml(for: alert, sender: "customs")
        #expect(xml.contains("<scope>Public</scope>"))
        #expect(!xml.contains("<addresses>"))

        alert.tlp = .amberStrict
        xml = CAPExport.xml(for: alert, sender: "customs")
        #expect(xml.contains("<scope>Restricted</scope>"))
        #expect(xml.contains("<restriction>TLP:AMBER+STRICT</restriction>"))

        alert.recipients = ["border", "migration"]
        xml = CAPExport.xml(for: alert, sender: "customs")
        #expect(xml.contains("<scope>Private</scope>"))
        #expect(xml.contains("<addresses>border migration</addresses>"))
        #expect(try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil) == [alert])
    }

    @Test func datesUseCAPsUTCFormAndReferencesTheirSentTimes() throws {
        let alert = try #require(try Samples.alerts("update-references").first)
        let sent = ["cus-000123": stamp("2026-11-21T08:12:30Z")]
        let xml = CAPExport.xml(for: alert, sender: "customs", referenceSent: sent)
        #expect(xml.contains("<sent>2026-11-21T09:00:00-00:00</sent>"))
        #expect(!xml.contains("Z<"))
        #expect(xml.contains("<references>customs,cus-000123,2026-11-21T08:12:30-00:00 customs,cus-000120,2026-11-21T09:00:00-00:00</references>"))
    }

    @Test func textIsEscaped() throws {
        var alert = try #require(try Samples.alerts("circle-alert").first)
        alert.headline = "<b> & \"quoted\""
        alert.description_p = "line 1\r\nline 2\ttab"
        alert.subjects[0].vehicle.make = "A;B%3B,C"
        let xml = CAPExport.xml(for: alert, sender: "customs")
        #expect(xml.contains("<headline>&lt;b&gt; &amp; \"quoted\"</headline>"))
        #expect(try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil) == [alert])
    }
}
