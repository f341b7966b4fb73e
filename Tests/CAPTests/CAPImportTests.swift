import CAP
import Foundation
import IBMProtocol
import SwiftProtobuf
import Testing

/// The CAP 1.2 documents under Samples/, written from the OASIS specification.
enum Samples {
    static let folder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("Samples")
    static let names = ["polygon-alert", "circle-alert", "update-references", "cancel", "two-languages"]

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent("\(name).xml")))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    static func alerts(_ name: String, origin: String? = nil) throws -> [Ibm_V1_Alert] {
        try CAPImport.alerts(fromXML: bytes(name), origin: origin)
    }
}

func stamp(_ text: String) -> Google_Protobuf_Timestamp {
    RFC3339.parse(text) ?? Google_Protobuf_Timestamp()
}

@Suite struct CAPImportTests {
    @Test func polygonAreaGivesItsCentroid() throws {
        let alerts = try Samples.alerts("polygon-alert")
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.id == "brd-2026-00417")
        #expect(alert.origin == "border")  // from <sender>, up to the @
        #expect(alert.msgType == .alert)
        #expect(alert.references.isEmpty)
        #expect(alert.observedAt == stamp("2026-11-21T02:30:00Z"))  // <onset>, converted to UTC
        #expect(alert.category == .foreignArmedGroup)
        #expect(alert.severity == .severe)
        #expect(alert.urgency == .immediate)
        #expect(alert.certainty == .observed)
        #expect(alert.tlp == .amber)
        #expect(alert.recipients == ["customs", "migration"])
        #expect(alert.headline == "Armed group of about 20 on pickups crossing west of Ghat")
        #expect(alert.description_p == "Patrol 7 observed four pickups with mounted weapons moving north-east.\nEstimated 20 armed men. Patrol withdrew to the checkpoint & keeps watch.")
        #expect(alert.location.lat == 24.95)
        #expect(alert.location.lon == 10.1)
        #expect(alert.location.place == "Wadi Tanezzuft, 15 km W of Ghat")
        #expect(alert.location.sector == "LY-DZ")
        #expect(alert.subjects.count == 2)
        #expect(alert.subjects[0].weapon.pattern == "DShK")
        #expect(alert.subjects[0].weapon.quantity == 4)
        #expect(alert.subjects[1].group.size == 20)
        #expect(alert.subjects[1].group.nationalities == ["LY", "NE"])
    }

    @Test func circleWithPrefixedNamespaceAndCategoryFromEvent() throws {
        let alert = try #require(try Samples.alerts("circle-alert").first)
        #expect(alert.id == "cus-000123")
        #expect(alert.origin == "customs")
        #expect(alert.category == .armsTrafficking)  // no ibm:category parameter: the <event> names it
        #expect(alert.tlp == .green)  // "TLP:GREEN"
        #expect(alert.recipients.isEmpty)
        #expect(alert.observedAt == stamp("2026-11-21T08:10:00Z"))  // <effective>, as there is no <onset>
        #expect(alert.location.lat == 32.01)
        #expect(alert.location.lon == 10.7)
        #expect(alert.location.sector == "TN-LY")
        #expect(alert.subjects.count == 2)
        #expect(alert.subjects[0].vehicle.plate == "123 تونس 4567")
        #expect(alert.subjects[0].vehicle.country == "TN")
        #expect(alert.subjects[1].weapon.quantity == 12)
    }

    @Test func updateTakesTheIdentifiersOfItsReferences() throws {
        let alert = try #require(try Samples.alerts("update-references").first)
        #expect(alert.msgType == .update)
        #expect(alert.references == ["cus-000123", "cus-000120"])
        #expect(alert.tlp == .red)
        #expect(alert.recipients == ["border", "coordination"])  // a quoted address is one address
        #expect(alert.severity == .extreme)
        #expect(alert.subjects[0].weapon.headstamp == "11; 71")  // %3B in the compact subject
        #expect(alert.subjects[1].person.birthDate == "1984-03-09")
    }

    @Test func cancelNeedsNoArea() throws {
        let alert = try #require(try Samples.alerts("cancel").first)
        #expect(alert.msgType == .cancel)
        #expect(alert.origin == "migration")
        #expect(alert.references == ["mig-000775"])
        #expect(alert.category == .irregularMigration)
        #expect(alert.observedAt == stamp("2026-11-21T11:20:00Z"))  // <sent>
        #expect(!alert.hasLocation)
        #expect(alert.tlp == .clear)
    }

    @Test func eachInfoBlockIsOneAlert() throws {
        let alerts = try Samples.alerts("two-languages")
        #expect(alerts.map(\.id) == ["mig-000800.1", "mig-000800.2"])
        #expect(alerts[1].headline == "مجموعة من 30 شخصا في طريقها إلى تمنراست")
        #expect(alerts[0].location.place == "RN1 au sud d'In Guezzam")
    }

    @Test func theCallersOriginWinsOverTheSender() throws {
        let alert = try #require(try Samples.alerts("circle-alert", origin: "border").first)
        #expect(alert.origin == "border")
    }

    @Test func withoutATLPParameterTheScopeSetsTheLabel() throws {
        for (scope, extra, tlp) in [("Public", "", Ibm_V1_Tlp.clear), ("Restricted", "<restriction>staff</restriction>", .amber),
                                     ("Private", "<addresses>border</addresses>", .red)] {
            let xml = CAPDocuments.minimal(scope: scope, afterScope: extra, parameters: "")
            let alert = try #require(try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil).first)
            #expect(alert.tlp == tlp, "scope \(scope)")
        }
    }

    @Test func aSelfIntersectingPolygonGivesTheMeanOfItsPoints() throws {
        // A bow tie whose signed-area centroid (lon -6) lies outside the shape.
        let xml = CAPDocuments.minimal(area: "<area><areaDesc>x</areaDesc><polygon>0,0 2,2 0,2 2.2,0 0,0</polygon></area>")
        let alert = try #require(try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil).first)
        #expect(alert.location.lat == 1.05)
        #expect(alert.location.lon == 1)
    }

    @Test func signaturesAreIgnored() throws {
        let signature = #"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue>AA==</SignatureValue></Signature>"#
        let xml = CAPDocuments.minimal().replacingOccurrences(of: "</alert>", with: signature + "</alert>")
        #expect(try CAPImport.alerts(fromXML: Array(xml.utf8), origin: nil).count == 1)
    }
}

/// Small documents built around one change, so each test shows exactly what it breaks.
enum CAPDocuments {
    static func minimal(
        identifier: String = "<identifier>brd-1</identifier>", scope: String = "Public", afterScope: String = "",
        parameters: String = "<parameter><valueName>TLP</valueName><value>GREEN</value></parameter>",
        info: String? = nil, area: String = "<area><areaDesc>Ras Ajdir</areaDesc><circle>33.15,11.56 1</circle></area>",
        root: String = #"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">"#, rootClose: String = "</alert>"
    ) -> String {
        let infoBlock = info ?? """
            <info><category>Security</category><event>smuggling goods</event><urgency>Expected</urgency>\
            <severity>Minor</severity><certainty>Likely</certainty><headline>Fuel smuggling at Ras Ajdir</headline>\
            \(parameters)\(area)</info>
            """
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            \(root)\(identifier)<sender>border</sender><sent>2026-11-21T08:00:00-00:00</sent>\
            <status>Actual</status><msgType>Alert</msgType><scope>\(scope)</scope>\(afterScope)\(infoBlock)\(rootClose)
            """
    }
}
