import SwiftProtobuf

/// The one codec between the JSON alert form (DESIGN.md §4) and `Ibm_V1_Alert`.
///
/// Every place where JSON enters or leaves IBM Hub goes through it: agency
/// intake, spool files, `ibmctl publish` and `ibmctl replay --format jsonl`.
public struct AlertJSON: Sendable {
    public var validator: AlertValidator
    public var parser: JSONParser

    public init(limits: AlertLimits = .default) {
        validator = AlertValidator(limits: limits)
        parser = JSONParser(maxDepth: 16, maxBytes: 64 * 1024)
    }

    // MARK: Decoding

    /// Decodes and validates one alert; the error lists every broken rule.
    public func decode(_ bytes: some Collection<UInt8>) throws(AlertValidationError) -> Ibm_V1_Alert {
        let value: JSONValue
        do {
            value = try parser.parse(bytes)
        } catch {
            throw AlertValidationError(issues: [ValidationIssue(field: "$", message: error.description)])
        }
        return try decode(value)
    }

    public func decode(_ text: String) throws(AlertValidationError) -> Ibm_V1_Alert {
        try decode(Array(text.utf8))
    }

    /// Decodes and validates one alert from a parsed JSON value.
    public func decode(_ value: JSONValue, path: String = "") throws(AlertValidationError) -> Ibm_V1_Alert {
        var reader = FieldReader(prefix: path)
        let alert = reader.alert(value)
        var issues = reader.issues
        // Rules are checked even when some fields failed to parse, so the sender
        // sees every problem at once; a field already reported is not reported twice.
        var ruleIssues: [ValidationIssue] = []
        validator.check(alert, into: &ruleIssues)
        let prefix = path.isEmpty ? "" : path + "."
        let reported = Set(issues.map(\.field))
        issues += ruleIssues
            .map { ValidationIssue(field: prefix + $0.field, message: $0.message) }
            .filter { issue in !reported.contains { issue.field == $0 || issue.field.hasPrefix($0 + ".") || issue.field.hasPrefix($0 + "[") } }
        if !issues.isEmpty { throw AlertValidationError(issues: issues) }
        return alert
    }

    /// Decodes one alert or an array of alerts (as `POST /v1/alerts` takes them).
    /// Issues of array elements are named `[i].field`.
    /// `prepare` may complete each alert object before it is decoded (an agency fills its own
    /// origin and missing ids); `extraChecks` adds rules of the caller's, checked on each prepared
    /// object even when it breaks other rules, so that every problem is reported at once.
    public func decodeOneOrMany(
        _ bytes: some Collection<UInt8>,
        prepare: (inout JSONValue) -> Void = { _ in },
        extraChecks: (JSONValue, inout [ValidationIssue]) -> Void = { _, _ in }
    ) throws(AlertValidationError) -> [Ibm_V1_Alert] {
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: 17, maxBytes: 16 << 20).parse(bytes)
        } catch {
            throw AlertValidationError(issues: [ValidationIssue(field: "$", message: error.description)])
        }
        let single: Bool
        let elements: [JSONValue]
        if case let .array(values) = value { (single, elements) = (false, values) } else { (single, elements) = (true, [value]) }
        var alerts: [Ibm_V1_Alert] = []
        var issues: [ValidationIssue] = []
        for (position, element) in elements.enumerated() {
            var element = element
            prepare(&element)
            let path = single ? "" : "[\(position)]"
            var extra: [ValidationIssue] = []
            extraChecks(element, &extra)
            do {
                let alert = try decode(element, path: path)
                if extra.isEmpty { alerts.append(alert) }
            } catch {
                issues += error.issues
            }
            issues += extra.map { ValidationIssue(field: path.isEmpty ? $0.field : path + "." + $0.field, message: $0.message) }
        }
        if elements.isEmpty { issues.append(ValidationIssue(field: "$", message: "the array holds no alert")) }
        if !issues.isEmpty { throw AlertValidationError(issues: issues) }
        return alerts
    }

    // MARK: Encoding

    /// The JSON form of `alert`: fields in the order of DESIGN.md §4, empty optional fields left out.
    public func encode(_ alert: Ibm_V1_Alert) -> [UInt8] {
        JSONWriter.bytes(Self.jsonValue(alert))
    }

    public func encodeString(_ alert: Ibm_V1_Alert) -> String {
        String(decoding: encode(alert), as: UTF8.self)
    }

    public static func jsonValue(_ alert: Ibm_V1_Alert) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(alert.id)),
            ("origin", .string(alert.origin)),
            ("msg_type", .string(alert.msgType.jsonName ?? "")),
        ]
        if !alert.references.isEmpty { members.append(("references", .array(alert.references.map(JSONValue.string)))) }
        if alert.hasObservedAt { members.append(("observed_at", .string(RFC3339.format(alert.observedAt)))) }
        members += [
            ("category", .string(alert.category.jsonName ?? "")),
            ("severity", .string(alert.severity.jsonName ?? "")),
            ("urgency", .string(alert.urgency.jsonName ?? "")),
            ("certainty", .string(alert.certainty.jsonName ?? "")),
            ("tlp", .string(alert.tlp.jsonName ?? "")),
        ]
        if !alert.recipients.isEmpty { members.append(("recipients", .array(alert.recipients.map(JSONValue.string)))) }
        members.append(("headline", .string(alert.headline)))
        if !alert.description_p.isEmpty { members.append(("description", .string(alert.description_p))) }
        if alert.hasLocation { members.append(("location", jsonValue(alert.location))) }
        members.append(("subjects", .array(alert.subjects.map(jsonValue))))
        return .object(members)
    }

    public static func jsonValue(_ location: Ibm_V1_Location) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("lat", .number(location.lat)), ("lon", .number(location.lon))]
        if !location.place.isEmpty { members.append(("place", .string(location.place))) }
        if !location.sector.isEmpty { members.append(("sector", .string(location.sector))) }
        return .object(members)
    }

    public static func jsonValue(_ subject: Ibm_V1_Subject) -> JSONValue {
        guard let kind = subject.kind else { return .object([]) }
        var members: [(key: String, value: JSONValue)] = [("kind", .string(kind.jsonName))]
        func add(_ key: String, _ text: String) {
            if !text.isEmpty { members.append((key, .string(text))) }
        }
        switch kind {
        case let .vehicle(vehicle):
            add("plate", vehicle.plate)
            add("country", vehicle.country)
            add("make", vehicle.make)
            add("colour", vehicle.colour)
        case let .person(person):
            add("name", person.name)
            add("document", person.document)
            add("nationality", person.nationality)
            add("birth_date", person.birthDate)
        case let .weapon(weapon):
            add("type", weapon.type)
            add("pattern", weapon.pattern)
            add("calibre", weapon.calibre)
            add("serial", weapon.serial)
            add("headstamp", weapon.headstamp)
            if weapon.quantity > 0 { members.append(("quantity", .number(weapon.quantity))) }
        case let .goods(goods):
            add("commodity", goods.commodity)
            members.append(("quantity", .number(goods.quantity)))
            add("unit", goods.unit)
        case let .vessel(vessel):
            add("name", vessel.name)
            add("mmsi", vessel.mmsi)
            add("imo", vessel.imo)
            add("flag", vessel.flag)
        case let .group(group):
            members.append(("size", .number(group.size)))
            if !group.nationalities.isEmpty {
                members.append(("nationalities", .array(group.nationalities.map(JSONValue.string))))
            }
        case let .consignment(consignment):
            add("reference", consignment.reference)
        }
        return .object(members)
    }
}

/// Walks a JSON value into an alert, recording type errors with their path.
private struct FieldReader {
    let prefix: String
    var issues: [ValidationIssue] = []

    init(prefix: String) {
        self.prefix = prefix
    }

    mutating func add(_ field: String, _ message: String) {
        issues.append(ValidationIssue(field: prefix.isEmpty ? field : prefix + "." + field, message: message))
    }

    /// The members of an object, refusing unknown names.
    mutating func members(_ value: JSONValue, field: String, allowed: Set<String>) -> [String: JSONValue]? {
        guard case let .object(members) = value else {
            add(field.isEmpty ? "$" : field, "must be an object, not \(value.typeName)")
            return nil
        }
        var result: [String: JSONValue] = [:]
        for member in members {
            if allowed.contains(member.key) {
                result[member.key] = member.value
            } else {
                let name = member.key.count > 64 ? String(member.key.prefix(64)) + "…" : member.key
                add(field.isEmpty ? name : "\(field).\(name)", "is not a known field")
            }
        }
        return result
    }

    mutating func string(_ value: JSONValue?, field: String) -> String {
        guard let value else { return "" }
        guard case let .string(text) = value else {
            add(field, "must be a string, not \(value.typeName)")
            return ""
        }
        return text
    }

    mutating func strings(_ value: JSONValue?, field: String) -> [String] {
        guard let value else { return [] }
        guard case let .array(elements) = value else {
            add(field, "must be an array of strings, not \(value.typeName)")
            return []
        }
        return elements.enumerated().map { string($0.element, field: "\(field)[\($0.offset)]") }
    }

    mutating func double(_ value: JSONValue?, field: String, required: Bool) -> Double {
        guard let value else {
            if required { add(field, "is required") }
            return 0
        }
        guard case let .number(text) = value, let number = Double(text), number.isFinite else {
            add(field, "must be a number, not \(value.typeName)")
            return 0
        }
        return number
    }

    mutating func count(_ value: JSONValue?, field: String) -> UInt32 {
        guard let value else { return 0 }
        guard case let .number(text) = value, let number = UInt32(text) else {
            add(field, "must be a whole number from 0 to \(UInt32.max)")
            return 0
        }
        return number
    }

    mutating func enumeration<E: JSONSpelledEnum>(_ value: JSONValue?, field: String, as type: E.Type) -> E? {
        guard let value else { return nil }  // the validator reports it missing
        let text = string(value, field: field)
        guard case .string = value else { return nil }
        guard let parsed = E(jsonName: text) else {
            let shown = text.count > 32 ? String(text.prefix(32)) + "…" : text
            add(field, "\"\(shown)\" is not one of \(E.jsonNames.joined(separator: ", "))")
            return nil
        }
        return parsed
    }

    static let alertFields: Set<String> = [
        "id", "origin", "msg_type", "references", "observed_at", "category", "severity", "urgency",
        "certainty", "tlp", "recipients", "headline", "description", "location", "subjects",
    ]

    mutating func alert(_ value: JSONValue) -> Ibm_V1_Alert {
        var alert = Ibm_V1_Alert()
        guard let fields = members(value, field: "", allowed: Self.alertFields) else { return alert }
        alert.id = string(fields["id"], field: "id")
        alert.origin = string(fields["origin"], field: "origin")
        if let type = enumeration(fields["msg_type"], field: "msg_type", as: Ibm_V1_MsgType.self) { alert.msgType = type }
        alert.references = strings(fields["references"], field: "references")
        if let observed = fields["observed_at"] {
            let text = string(observed, field: "observed_at")
            if case .string = observed {
                if let stamp = RFC3339.parse(text) {
                    alert.observedAt = stamp
                } else {
                    add("observed_at", "\"\(text.prefix(40))\" is not an RFC 3339 date-time (e.g. 2026-11-21T08:10:00Z)")
                }
            }
        }
        if let category = enumeration(fields["category"], field: "category", as: Ibm_V1_Category.self) { alert.category = category }
        if let severity = enumeration(fields["severity"], field: "severity", as: Ibm_V1_Severity.self) { alert.severity = severity }
        if let urgency = enumeration(fields["urgency"], field: "urgency", as: Ibm_V1_Urgency.self) { alert.urgency = urgency }
        if let certainty = enumeration(fields["certainty"], field: "certainty", as: Ibm_V1_Certainty.self) { alert.certainty = certainty }
        if let tlp = enumeration(fields["tlp"], field: "tlp", as: Ibm_V1_Tlp.self) { alert.tlp = tlp }
        alert.recipients = strings(fields["recipients"], field: "recipients")
        alert.headline = string(fields["headline"], field: "headline")
        alert.description_p = string(fields["description"], field: "description")
        if let location = fields["location"] {
            if let place = members(location, field: "location", allowed: ["lat", "lon", "place", "sector"]) {
                alert.location.lat = double(place["lat"], field: "location.lat", required: true)
                alert.location.lon = double(place["lon"], field: "location.lon", required: true)
                alert.location.place = string(place["place"], field: "location.place")
                alert.location.sector = string(place["sector"], field: "location.sector")
            }
        }
        if let subjects = fields["subjects"] {
            if case let .array(elements) = subjects {
                // Bound the work on hostile input; the validator reports the count.
                alert.subjects = elements.prefix(AlertLimits.default.maxSubjects * 4).enumerated().map {
                    subject($0.element, field: "subjects[\($0.offset)]")
                }
                if elements.count > AlertLimits.default.maxSubjects * 4 {
                    add("subjects", "has \(elements.count) entries, more than the limit of \(AlertLimits.default.maxSubjects)")
                }
            } else {
                add("subjects", "must be an array, not \(subjects.typeName)")
            }
        }
        return alert
    }

    static let subjectFields: [String: Set<String>] = [
        "vehicle": ["kind", "plate", "country", "make", "colour"],
        "person": ["kind", "name", "document", "nationality", "birth_date"],
        "weapon": ["kind", "type", "pattern", "calibre", "serial", "headstamp", "quantity"],
        "goods": ["kind", "commodity", "quantity", "unit"],
        "vessel": ["kind", "name", "mmsi", "imo", "flag"],
        "group": ["kind", "size", "nationalities"],
        "consignment": ["kind", "reference"],
    ]

    mutating func subject(_ value: JSONValue, field: String) -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        guard case .object = value else {
            add(field, "must be an object, not \(value.typeName)")
            return subject
        }
        let kind = value["kind"].map { string($0, field: "\(field).kind") } ?? ""
        guard let allowed = Self.subjectFields[kind] else {
            add("\(field).kind", kind.isEmpty
                ? "is required; one of \(Ibm_V1_Subject.OneOf_Kind.jsonNames.joined(separator: ", "))"
                : "\"\(kind.prefix(32))\" is not one of \(Ibm_V1_Subject.OneOf_Kind.jsonNames.joined(separator: ", "))")
            return subject
        }
        guard let fields = members(value, field: field, allowed: allowed) else { return subject }
        func text(_ name: String) -> String { string(fields[name], field: "\(field).\(name)") }
        switch kind {
        case "vehicle":
            var vehicle = Ibm_V1_Vehicle()
            vehicle.plate = text("plate")
            vehicle.country = text("country")
            vehicle.make = text("make")
            vehicle.colour = text("colour")
            subject.vehicle = vehicle
        case "person":
            var person = Ibm_V1_Person()
            person.name = text("name")
            person.document = text("document")
            person.nationality = text("nationality")
            person.birthDate = text("birth_date")
            subject.person = person
        case "weapon":
            var weapon = Ibm_V1_Weapon()
            weapon.type = text("type")
            weapon.pattern = text("pattern")
            weapon.calibre = text("calibre")
            weapon.serial = text("serial")
            weapon.headstamp = text("headstamp")
            weapon.quantity = count(fields["quantity"], field: "\(field).quantity")
            subject.weapon = weapon
        case "goods":
            var goods = Ibm_V1_Goods()
            goods.commodity = text("commodity")
            goods.quantity = double(fields["quantity"], field: "\(field).quantity", required: false)
            goods.unit = text("unit")
            subject.goods = goods
        case "vessel":
            var vessel = Ibm_V1_Vessel()
            vessel.name = text("name")
            vessel.mmsi = text("mmsi")
            vessel.imo = text("imo")
            vessel.flag = text("flag")
            subject.vessel = vessel
        case "group":
            var group = Ibm_V1_Group()
            group.size = count(fields["size"], field: "\(field).size")
            group.nationalities = strings(fields["nationalities"], field: "\(field).nationalities")
            subject.group = group
        default:
            var consignment = Ibm_V1_Consignment()
            consignment.reference = text("reference")
            subject.consignment = consignment
        }
        return subject
    }
}
