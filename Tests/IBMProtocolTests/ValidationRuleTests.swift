import IBMProtocol
import Testing

/// A valid alert as a JSON object; each case below breaks one rule of it.
private let valid: [String: String] = [
    "id": #""cus-000123""#,
    "origin": #""customs""#,
    "msg_type": #""alert""#,
    "observed_at": #""2026-11-21T08:10:00Z""#,
    "category": #""arms_trafficking""#,
    "severity": #""severe""#,
    "urgency": #""immediate""#,
    "certainty": #""observed""#,
    "tlp": #""amber""#,
    "headline": #""4x4 convoy with rifles stopped near Dehiba""#,
    "location": #"{"lat": 32.01, "lon": 10.70, "place": "Dehiba-Wazen BCP", "sector": "TN-LY"}"#,
    "subjects": #"[{"kind": "vehicle", "plate": "123 TUN 4567", "country": "TN"}]"#,
]

private func json(_ changes: [String: String?]) -> String {
    var fields = valid
    for (key, value) in changes { fields[key] = value }
    return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
}

struct RuleCase: CustomTestStringConvertible, Sendable {
    let name: String
    let changes: [String: String?]
    let expected: String
    var testDescription: String { name }
}

private let cases: [RuleCase] = [
    RuleCase(name: "id required", changes: ["id": nil], expected: "id: is required and must not be empty"),
    RuleCase(name: "id empty", changes: ["id": #""""#], expected: "id: is required and must not be empty"),
    RuleCase(name: "id too long", changes: ["id": "\"" + String(repeating: "x", count: 65) + "\""],
             expected: "id: is 65 bytes, longer than the limit of 64"),
    RuleCase(name: "id characters", changes: ["id": #""a b""#], expected: #"id: "a b" may contain only letters, digits and . _ - :"#),
    RuleCase(name: "origin required", changes: ["origin": nil], expected: "origin: is required and must not be empty"),
    RuleCase(name: "origin characters", changes: ["origin": #""Customs!""#],
             expected: #"origin: "Customs!" may contain only lower-case letters, digits, _ and -"#),
    RuleCase(name: "msg_type unknown", changes: ["msg_type": #""notice""#],
             expected: #"msg_type: "notice" is not one of alert, update, cancel"#),
    RuleCase(name: "msg_type required", changes: ["msg_type": nil], expected: "msg_type: is required; one of alert, update, cancel"),
    RuleCase(name: "references on alert", changes: ["references": #"["cus-1"]"#],
             expected: "references: is only allowed for msg_type update or cancel"),
    RuleCase(name: "references required on update", changes: ["msg_type": #""update""#],
             expected: "references: is required for msg_type update"),
    RuleCase(name: "references required on cancel", changes: ["msg_type": #""cancel""#],
             expected: "references: is required for msg_type cancel"),
    RuleCase(name: "self reference", changes: ["msg_type": #""update""#, "references": #"["cus-000123"]"#],
             expected: "references[0]: an alert cannot reference itself"),
    RuleCase(name: "observed_at format", changes: ["observed_at": #""21/11/2026 08:10""#],
             expected: #"observed_at: "21/11/2026 08:10" is not an RFC 3339 date-time (e.g. 2026-11-21T08:10:00Z)"#),
    RuleCase(name: "observed_at no offset", changes: ["observed_at": #""2026-11-21T08:10:00""#],
             expected: #"observed_at: "2026-11-21T08:10:00" is not an RFC 3339 date-time (e.g. 2026-11-21T08:10:00Z)"#),
    RuleCase(name: "observed_at impossible date", changes: ["observed_at": #""2026-02-30T08:10:00Z""#],
             expected: #"observed_at: "2026-02-30T08:10:00Z" is not an RFC 3339 date-time (e.g. 2026-11-21T08:10:00Z)"#),
    RuleCase(name: "observed_at year 9999", changes: ["observed_at": #""9999-12-31T23:59:59Z""#],
             expected: "observed_at: 9999-12-31T23:59:59Z is outside the accepted range [2000-01-01, 2100-01-01)"),
    RuleCase(name: "observed_at required", changes: ["observed_at": nil], expected: "observed_at: is required"),
    RuleCase(name: "category unknown", changes: ["category": #""piracy""#],
             expected: #"category: "piracy" is not one of narcoterrorism, radicalized_returnee, irregular_migration, migrant_smuggling, human_trafficking, smuggling_goods, drug_trafficking, cross_border_terrorism, foreign_armed_group, identity_fraud, arms_trafficking, illegal_fishing, sea_pollution, other"#),
    RuleCase(name: "severity unknown", changes: ["severity": #""Severe""#],
             expected: #"severity: "Severe" is not one of unknown, minor, moderate, severe, extreme"#),
    RuleCase(name: "urgency unknown", changes: ["urgency": #""now""#],
             expected: #"urgency: "now" is not one of unknown, past, future, expected, immediate"#),
    RuleCase(name: "certainty unknown", changes: ["certainty": #""sure""#],
             expected: #"certainty: "sure" is not one of unknown, unlikely, possible, likely, observed"#),
    RuleCase(name: "tlp unknown", changes: ["tlp": #""white""#],
             expected: #"tlp: "white" is not one of clear, green, amber, amber+strict, red"#),
    RuleCase(name: "tlp required", changes: ["tlp": nil], expected: "tlp: is required; one of clear, green, amber, amber+strict, red"),
    RuleCase(name: "recipients with green", changes: ["tlp": #""green""#, "recipients": #"["border"]"#],
             expected: "recipients: are only allowed with tlp amber, amber+strict or red, not green"),
    RuleCase(name: "recipients twice", changes: ["tlp": #""red""#, "recipients": #"["border", "border"]"#],
             expected: #"recipients[1]: "border" is listed twice"#),
    RuleCase(name: "headline required", changes: ["headline": nil], expected: "headline: is required and must not be empty"),
    RuleCase(name: "headline NUL", changes: ["headline": #""bad\u0000text""#], expected: "headline: contains the control character U+0000"),
    RuleCase(name: "headline too long", changes: ["headline": "\"" + String(repeating: "h", count: 600) + "\""],
             expected: "headline: is 600 bytes, longer than the limit of 512"),
    RuleCase(name: "lat out of range", changes: ["location": #"{"lat": 123.4, "lon": 10.7}"#],
             expected: "location.lat: 123.4 is out of range [-90, 90]"),
    RuleCase(name: "lon out of range", changes: ["location": #"{"lat": 32.0, "lon": -181}"#],
             expected: "location.lon: -181.0 is out of range [-180, 180]"),
    RuleCase(name: "lat required", changes: ["location": #"{"lon": 10.7}"#], expected: "location.lat: is required"),
    RuleCase(name: "lat type", changes: ["location": #"{"lat": "32.0", "lon": 10.7}"#],
             expected: "location.lat: must be a number, not a string"),
    RuleCase(name: "location required", changes: ["location": nil], expected: "location: is required for msg_type alert"),
    RuleCase(name: "unknown field", changes: ["priority": #""high""#], expected: "priority: is not a known field"),
    RuleCase(name: "subjects type", changes: ["subjects": #"{}"#], expected: "subjects: must be an array, not an object"),
    RuleCase(name: "subject kind unknown", changes: ["subjects": #"[{"kind": "aircraft"}]"#],
             expected: #"subjects[0].kind: "aircraft" is not one of vehicle, person, weapon, goods, vessel, group, consignment"#),
    RuleCase(name: "subject field unknown", changes: ["subjects": #"[{"kind": "vehicle", "plate": "1", "wheels": 4}]"#],
             expected: "subjects[0].wheels: is not a known field"),
    RuleCase(name: "plate required", changes: ["subjects": #"[{"kind": "vehicle", "country": "TN"}]"#],
             expected: "subjects[0].plate: is required and must not be empty"),
    RuleCase(name: "country code", changes: ["subjects": #"[{"kind": "vehicle", "plate": "1", "country": "TUN"}]"#],
             expected: #"subjects[0].country: "TUN" is not an ISO 3166-1 alpha-2 code (two capital letters)"#),
    RuleCase(name: "person needs name or document", changes: ["subjects": #"[{"kind": "person", "nationality": "LY"}]"#],
             expected: "subjects[0]: a person needs a name or a document"),
    RuleCase(name: "birth date", changes: ["subjects": #"[{"kind": "person", "name": "Ali", "birth_date": "1990-13-01"}]"#],
             expected: #"subjects[0].birth_date: "1990-13-01" is not a date in the form YYYY-MM-DD"#),
    RuleCase(name: "weapon quantity", changes: ["subjects": #"[{"kind": "weapon", "type": "rifle", "quantity": -2}]"#],
             expected: "subjects[0].quantity: must be a whole number from 0 to 4294967295"),
    RuleCase(name: "goods quantity", changes: ["subjects": #"[{"kind": "goods", "commodity": "fuel", "quantity": -5}]"#],
             expected: "subjects[0].quantity: -5.0 must be a finite number ≥ 0"),
    RuleCase(name: "vessel flag", changes: ["subjects": #"[{"kind": "vessel", "flag": "Libya"}]"#],
             expected: #"subjects[0].flag: "Libya" is not an ISO 3166-1 alpha-2 code (two capital letters)"#),
    RuleCase(name: "group size", changes: ["subjects": #"[{"kind": "group", "size": 0}]"#],
             expected: "subjects[0].size: must be at least 1"),
    RuleCase(name: "consignment reference", changes: ["subjects": #"[{"kind": "consignment"}]"#],
             expected: "subjects[0].reference: is required and must not be empty"),
    RuleCase(name: "too many subjects",
             changes: ["subjects": "[" + Array(repeating: #"{"kind": "group", "size": 1}"#, count: 65).joined(separator: ",") + "]"],
             expected: "subjects: has 65 entries, more than the limit of 64"),
]

@Suite struct ValidationRuleTests {
    let codec = AlertJSON()

    @Test func theBaseAlertIsValid() throws {
        _ = try codec.decode(json([:]))
    }

    @Test(arguments: cases)
    func eachRuleNamesFieldAndRule(_ rule: RuleCase) {
        do {
            _ = try codec.decode(json(rule.changes))
            Issue.record("accepted an alert that breaks \(rule.name)")
        } catch {
            #expect(error.issues.map(\.description).contains(rule.expected), "\(error.issues)")
        }
    }

    @Test func everyErrorIsReportedNotOnlyTheFirst() {
        do {
            _ = try codec.decode(json(["id": #""""#, "tlp": #""white""#, "location": #"{"lat": 99, "lon": 0}"#]))
            Issue.record("accepted an invalid alert")
        } catch {
            let text = error.issues.map(\.description)
            #expect(text.contains("id: is required and must not be empty"))
            #expect(text.contains(#"tlp: "white" is not one of clear, green, amber, amber+strict, red"#))
            #expect(text.count >= 2)
        }
    }

    @Test func arrayElementsAreNamedByIndex() {
        let body = "[" + json([:]) + "," + json(["severity": #""huge""#]) + "]"
        do {
            _ = try codec.decodeOneOrMany(Array(body.utf8))
            Issue.record("accepted an invalid array")
        } catch {
            #expect(error.issues.map(\.description) == [#"[1].severity: "huge" is not one of unknown, minor, moderate, severe, extreme"#])
        }
    }

    @Test func protobufAlertsMeetTheSameRules() throws {
        var alert = try codec.decode(json([:]))
        alert.location.lat = 123.4
        alert.category = .unspecified
        #expect(throws: AlertValidationError.self) { try AlertValidator().validate(alert) }
        do {
            try AlertValidator().validate(alert)
        } catch {
            #expect(error.issues.map(\.description).contains("location.lat: 123.4 is out of range [-90, 90]"))
            #expect(error.issues.map(\.description).contains { $0.hasPrefix("category: is required") })
        }
    }
}

@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        ("{", "expected a member name in quotes"),
        ("[1, 2", "expected ',' or ']' in array"),
        (#"{"a": 1,}"#, "expected a member name in quotes"),
        (#"{"a": 1, "a": 2}"#, "duplicate member \"a\""),
        (#"{"a": tru}"#, "invalid literal"),
        (#"{"a": "\ud800"}"#, "lone high surrogate in \\u escape"),
        (#"{"a": 01}"#, "expected ',' or '}' in object"),
        ("{\"a\": \"x\ny\"}", "control character in string; escape it"),
        (#"{} {}"#, "unexpected data after the JSON value"),
    ])
    func syntaxErrorsAreNamed(_ input: String, _ reason: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser().parse(input) }
        do {
            _ = try JSONParser().parse(input)
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        do {
            _ = try JSONParser(maxDepth: 32).parse(deep)
            Issue.record("accepted 10,000 levels of nesting")
        } catch {
            #expect(error.reason == "nesting deeper than 32")
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONParser().parse(bytes) }
    }

    @Test func oversizedDocumentIsRefused() {
        let big = Array(repeating: UInt8(ascii: " "), count: 2000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser(maxBytes: 1000).parse(big) }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let value = JSONValue.object([("text", .string("a\"b\\c\n\u{01}ت")), ("n", .number(12.5)), ("i", .number(10.0))])
        let text = JSONWriter.string(value)
        #expect(text == #"{"text":"a\"b\\c\n\u0001ت","n":12.5,"i":10}"#)
        #expect(try JSONParser().parse(text) == value)
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-21T08:10:00Z", "2026-11-21T08:10:00Z"),
        ("2026-11-21T09:10:00+01:00", "2026-11-21T08:10:00Z"),
        ("2026-11-21t08:10:00.5z", "2026-11-21T08:10:00.500Z"),
        ("2024-02-29T23:59:59.123456Z", "2024-02-29T23:59:59.123456Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func parsesAndFormats(_ input: String, _ output: String) throws {
        let stamp = try #require(RFC3339.parse(input))
        #expect(RFC3339.format(stamp) == output)
    }

    @Test(arguments: ["2026-11-21", "2026-11-21T08:10Z", "2023-02-29T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T08:10:00+1:00", "x026-11-21T08:10:00Z"])
    func refusesMalformed(_ input: String) {
        #expect(RFC3339.parse(input) == nil)
    }
}
