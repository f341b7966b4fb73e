import CAP
import Foundation
import IBMProtocol
import Testing

/// Input from agency systems and spool folders is untrusted: each hostile or broken document is
/// refused with an error that names the element (or line and column) and the rule.
@Suite struct CAPHostileInputTests {
    func issues(_ xml: String, origin: String? = nil) -> [CAPError.Issue] {
        issues(Array(xml.utf8), origin: origin)
    }

    func issues(_ bytes: [UInt8], origin: String? = nil) -> [CAPError.Issue] {
        do {
            let alerts = try CAPImport.alerts(fromXML: bytes, origin: origin)
            Issue.record("accepted: \(alerts.map(\.id))")
            return []
        } catch {
            return error.issues
        }
    }

    func has(_ issues: [CAPError.Issue], _ path: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(issues.contains { $0.path == path && $0.message.contains(fragment) },
                "no \(path): …\(fragment)… in \(issues)", sourceLocation: sourceLocation)
    }

    @Test func doctypeIsRefused() {
        let xml = CAPDocuments.minimal().replacingOccurrences(
            of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            with: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE alert>")
        has(issues(xml), "xml", "<!DOCTYPE is refused")
    }

    @Test func externalEntityIsRefused() {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>
            """
        has(issues(xml), "xml", "line 2, column 1: <!DOCTYPE is refused")
    }

    @Test func billionLaughsIsRefused() {
        var declarations = #"<!ENTITY lol0 "lol">"#
        for level in 1...9 {
            declarations += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        let xml = "<!DOCTYPE alert [\(declarations)]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&lol9;</alert>"
        has(issues(xml), "xml", "<!DOCTYPE is refused")
    }

    @Test func undeclaredEntityReferenceIsRefused() {
        let xml = CAPDocuments.minimal(identifier: "<identifier>&xxe;</identifier>")
        has(issues(xml), "xml", "the entity reference &xxe; is refused")
    }

    @Test func entityDeclarationInsideTheDocumentIsRefused() {
        let xml = CAPDocuments.minimal(identifier: #"<identifier>a</identifier><!ENTITY x "y">"#)
        has(issues(xml), "xml", "<!ENTITY is refused")
    }

    @Test func hugeDocumentIsRefused() {
        let padding = String(repeating: "x", count: CAPImport.maxBytes)
        let xml = CAPDocuments.minimal(identifier: "<identifier>brd-1</identifier><note>\(padding)</note>")
        has(issues(xml), "xml", "more than the limit of \(CAPImport.maxBytes)")
    }

    @Test func deepNestingIsRefused() {
        let depth = 100_000
        let xml = CAPDocuments.minimal(identifier: String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth))
        has(issues(xml), "xml", "nested more than")
    }

    @Test func tooManyElementsAreRefused() {
        let xml = CAPDocuments.minimal(identifier: "<identifier>brd-1</identifier>" + String(repeating: "<code>x</code>", count: 30_000))
        has(issues(xml), "xml", "more than 20000 elements")
    }

    @Test func theListOfProblemsIsBounded() {
        let xml = CAPDocuments.minimal(identifier: "<identifier>brd-1</identifier>" + String(repeating: "<colour>x</colour>", count: 5000))
        let found = issues(xml)
        #expect(found.count == CAPImport.maxIssues + 1)
        #expect(found.last?.message.contains("more problems") == true)
    }

    @Test func wrongNamespacesAreRefusedByName() {
        has(issues(CAPDocuments.minimal(root: #"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">"#)),
            "alert", "is CAP 1.1; only CAP 1.2")
        has(issues(CAPDocuments.minimal(root: "<alert>")), "alert", "has no namespace")
        has(issues(CAPDocuments.minimal(root: #"<alert xmlns="urn:example:alerts">"#)),
            "alert", "is in the namespace urn:example:alerts")
        has(issues(CAPDocuments.minimal(root: #"<feed xmlns="http://www.w3.org/2005/Atom">"#, rootClose: "</feed>")),
            "feed", "is not a CAP alert")
        let foreign = CAPDocuments.minimal(identifier: #"<identifier>brd-1</identifier><x:extra xmlns:x="urn:example">1</x:extra>"#)
        has(issues(foreign), "alert/x:extra", "is in the namespace urn:example")
    }

    @Test func everyMissingRequiredElementIsNamed() {
        let xml = """
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><info><headline>h</headline>\
            <area><circle>1,1 0</circle></area></info></alert>
            """
        let found = issues(xml)
        for name in ["identifier", "sender", "sent", "status", "msgType", "scope"] {
            has(found, "alert/\(name)", "is required")
        }
        for name in ["category", "event", "urgency", "severity", "certainty", "area/areaDesc"] {
            has(found, "alert/info/\(name)", "is required")
        }
    }

    @Test func badValuesAreNamedWithTheirElement() {
        let xml = CAPDocuments.minimal(
            parameters: """
                <parameter><valueName>TLP</valueName><value>PURPLE</value></parameter>\
                <parameter><valueName>ibm:subject</valueName><value>vehicle;colour=red</value></parameter>\
                <parameter><valueName>ibm:subject</valueName><value>weapon;type=pistol;quantity=many</value></parameter>
                """,
            area: "<area><areaDesc>x</areaDesc><polygon>1,1 2,2 3,1</polygon><circle>95,10 1</circle></area>")
            .replacingOccurrences(of: "<severity>Minor</severity>", with: "<severity>Dire</severity>")
            .replacingOccurrences(of: "<status>Actual</status>", with: "<status>Exercise</status>")
        let found = issues(xml)
        has(found, "alert/status", "Exercise messages are not accepted")
        has(found, "alert/info/severity", "\"Dire\" is not a CAP severity")
        has(found, "alert/info/parameter[1]", "TLP \"PURPLE\" is not one of")
        has(found, "alert/info/parameter[2]", "is required")  // the validator's rule: a vehicle needs its plate
        #expect(found.contains { $0.field == "subjects[0].plate" })
        has(found, "alert/info/parameter[3]", "quantity: \"many\" is not a number")
        has(found, "alert/info/area/polygon", "at least 4 points")
        has(found, "alert/info/area/circle", "latitude 95.0 is out of range")
    }

    @Test func validatorRulesAreReportedAgainstTheCAPElement() {
        let xml = CAPDocuments.minimal(identifier: "<identifier>brd 1/2</identifier>")
            .replacingOccurrences(of: "<sent>2026-11-21T08:00:00-00:00</sent>", with: "<sent>1990-01-01T00:00:00-00:00</sent>")
        let found = issues(xml)
        #expect(found.contains { $0.path == "alert/identifier" && $0.field == "id" && $0.message.contains("may contain only") })
        #expect(found.contains { $0.path == "alert/sent" && $0.field == "observed_at" && $0.message.contains("outside the accepted range") })
    }

    @Test func ackAndUnknownElementsAreRefused() {
        let xml = CAPDocuments.minimal(identifier: "<identifier>brd-1</identifier><colour>red</colour>")
            .replacingOccurrences(of: "<msgType>Alert</msgType>", with: "<msgType>Ack</msgType>")
        let found = issues(xml)
        has(found, "alert/msgType", "Ack messages carry no alert")
        has(found, "alert/colour", "is not a CAP 1.2 element of <alert>")
    }

    @Test func missingCategoryIsExplained() {
        let xml = CAPDocuments.minimal().replacingOccurrences(of: "<event>smuggling goods</event>", with: "<event>Flood</event>")
        has(issues(xml), "alert/info/event", "names no IBM category")
    }

    @Test func encodingsOtherThanUTF8AreRefused() {
        has(issues([0xFF, 0xFE, 0x3C, 0x00]), "xml", "UTF-16")
        has(issues(#"<?xml version="1.0" encoding="ISO-8859-1"?><alert/>"#), "xml", "only UTF-8")
        has(issues(Array("<alert>".utf8) + [0xC3, 0x28] + Array("</alert>".utf8)), "xml", "not valid UTF-8")
        has(issues("<alert>\u{0}</alert>"), "xml", "U+0000")
    }

    @Test func malformedXMLNamesLineAndColumn() {
        has(issues("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n  <identifier>x</sender>\n</alert>"),
            "xml", "line 2, column 16: </sender> does not close <identifier>")
        has(issues("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&amp"), "xml", "must begin an entity")
        has(issues("<p:alert>x</p:alert>"), "xml", "prefix p of <p:alert> is not declared")
        has(issues(""), "xml", "no root element")
        has(issues("<a></a><b></b>"), "xml", "only comments may follow the root element")
    }

    /// The parser must refuse every truncation of a valid document, and never crash on one.
    @Test func everyTruncationOfASampleIsRefused() throws {
        let bytes = try Samples.bytes("update-references")
        let end = bytes.lastIndex(of: UInt8(ascii: ">")) ?? bytes.count
        for length in stride(from: 0, to: end, by: 7) {
            #expect(throws: CAPError.self, "prefix of \(length) bytes") {
                try CAPImport.alerts(fromXML: Array(bytes[..<length]), origin: nil)
            }
        }
    }
}
