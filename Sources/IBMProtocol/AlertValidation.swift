/// One broken rule: the field (a JSON path such as `subjects[2].plate`) and what is wrong.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// An alert that breaks one or more rules; `issues` lists every one found.
public struct AlertValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let issues: [ValidationIssue]

    public init(issues: [ValidationIssue]) {
        self.issues = issues
    }

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

/// The rules every alert must meet, whether it arrived as JSON, CAP or protobuf.
public struct AlertValidator: Sendable {
    public var limits: AlertLimits

    public init(limits: AlertLimits = .default) {
        self.limits = limits
    }

    /// Throws with every broken rule, or returns if the alert is valid.
    public func validate(_ alert: Ibm_V1_Alert) throws(AlertValidationError) {
        var issues: [ValidationIssue] = []
        check(alert, into: &issues)
        if !issues.isEmpty { throw AlertValidationError(issues: issues) }
    }

    /// Appends every broken rule of `alert` to `issues`.
    public func check(_ alert: Ibm_V1_Alert, into issues: inout [ValidationIssue]) {
        var sink = IssueSink(issues: issues, limits: limits)
        defer { issues = sink.issues }

        sink.identifier(alert.id, field: "id", maxBytes: limits.maxIDBytes)
        sink.name(alert.origin, field: "origin", required: true)
        // A missing msg_type does not stop the other checks: the sender sees every problem at once.
        switch alert.msgType {
        case .unspecified, .UNRECOGNIZED:
            sink.add("msg_type", "is required; one of \(Ibm_V1_MsgType.jsonNames.joined(separator: ", "))")
        case .update, .cancel:
            if alert.references.isEmpty {
                sink.add("references", "is required for msg_type \(alert.msgType.jsonName ?? "")")
            }
        default:
            if !alert.references.isEmpty {
                sink.add("references", "is only allowed for msg_type update or cancel")
            }
        }
        sink.count(alert.references.count, field: "references", max: limits.maxReferences)
        for (position, reference) in alert.references.enumerated() {
            sink.identifier(reference, field: "references[\(position)]", maxBytes: limits.maxIDBytes)
            if reference == alert.id { sink.add("references[\(position)]", "an alert cannot reference itself") }
        }

        if !alert.hasObservedAt {
            sink.add("observed_at", "is required")
        } else if !limits.observedAtRange.contains(alert.observedAt.seconds) {
            sink.add("observed_at", "\(RFC3339.format(alert.observedAt)) is outside the accepted range [2000-01-01, 2100-01-01)")
        }
        sink.known(alert.category, field: "category")
        sink.known(alert.severity, field: "severity")
        sink.known(alert.urgency, field: "urgency")
        sink.known(alert.certainty, field: "certainty")
        sink.known(alert.tlp, field: "tlp")
        if !alert.recipients.isEmpty, alert.tlp.jsonName != nil, !alert.tlp.allowsRecipients {
            sink.add("recipients", "are only allowed with tlp amber, amber+strict or red, not \(alert.tlp.jsonName ?? "")")
        }
        sink.count(alert.recipients.count, field: "recipients", max: limits.maxRecipients)
        var seenRecipients = Set<String>()
        for (position, recipient) in alert.recipients.enumerated() {
            sink.name(recipient, field: "recipients[\(position)]", required: true)
            if !seenRecipients.insert(recipient).inserted {
                sink.add("recipients[\(position)]", "\"\(recipient)\" is listed twice")
            }
        }

        sink.text(alert.headline, field: "headline", maxBytes: limits.maxHeadlineBytes, required: true)
        sink.text(alert.description_p, field: "description", maxBytes: limits.maxDescriptionBytes, multiline: true)

        if alert.hasLocation {
            let location = alert.location
            if !(location.lat.isFinite && (-90...90).contains(location.lat)) {
                sink.add("location.lat", "\(location.lat) is out of range [-90, 90]")
            }
            if !(location.lon.isFinite && (-180...180).contains(location.lon)) {
                sink.add("location.lon", "\(location.lon) is out of range [-180, 180]")
            }
            sink.text(location.place, field: "location.place")
            sink.text(location.sector, field: "location.sector")
        } else if alert.msgType != .cancel {
            sink.add("location", alert.msgType.jsonName.map { "is required for msg_type \($0)" } ?? "is required")
        }

        sink.count(alert.subjects.count, field: "subjects", max: limits.maxSubjects)
        for (position, subject) in alert.subjects.prefix(limits.maxSubjects).enumerated() {
            sink.subject(subject, field: "subjects[\(position)]")
        }
    }
}

/// Collects issues; one helper per kind of rule so each message reads the same everywhere.
/// Field paths are autoclosures: built only for a broken rule, not for every valid field.
private struct IssueSink {
    var issues: [ValidationIssue]
    let limits: AlertLimits

    mutating func add(_ field: String, _ message: String) {
        issues.append(ValidationIssue(field: field, message: message))
    }

    mutating func count(_ count: Int, field: @autoclosure () -> String, max: Int) {
        if count > max { add(field(), "has \(count) entries, more than the limit of \(max)") }
    }

    mutating func known<E: JSONSpelledEnum>(_ value: E, field: @autoclosure () -> String) {
        if value.jsonName == nil {
            add(field(), "is required; one of \(E.jsonNames.joined(separator: ", "))")
        }
    }

    /// Alert ids and references: short, and safe to use as keys and in file names.
    mutating func identifier(_ value: String, field: @autoclosure () -> String, maxBytes: Int) {
        if value.isEmpty {
            add(field(), "is required and must not be empty")
        } else if value.utf8.count > maxBytes {
            add(field(), "is \(value.utf8.count) bytes, longer than the limit of \(maxBytes)")
        } else if !value.utf8.allSatisfy(Self.isIdentifierByte) {
            add(field(), "\"\(Self.printable(value))\" may contain only letters, digits and . _ - :")
        }
    }

    /// Identity names: origin and recipients.
    mutating func name(_ value: String, field: @autoclosure () -> String, required: Bool) {
        if value.isEmpty {
            if required { add(field(), "is required and must not be empty") }
        } else if value.utf8.count > limits.maxOriginBytes {
            add(field(), "is \(value.utf8.count) bytes, longer than the limit of \(limits.maxOriginBytes)")
        } else if !value.utf8.allSatisfy(Self.isNameByte) {
            add(field(), "\"\(Self.printable(value))\" may contain only lower-case letters, digits, _ and -")
        }
    }

    mutating func text(_ value: String, field: @autoclosure () -> String, maxBytes: Int? = nil, required: Bool = false,
                      multiline: Bool = false) {
        let limit = maxBytes ?? limits.maxFieldBytes
        if value.isEmpty {
            if required { add(field(), "is required and must not be empty") }
            return
        }
        if value.utf8.count > limit {
            add(field(), "is \(value.utf8.count) bytes, longer than the limit of \(limit)")
        }
        // Control characters are single bytes in UTF-8, and no other character contains such a byte.
        let forbidden = value.utf8.first { byte in
            (byte < 0x20 && !(multiline && (byte == 0x0A || byte == 0x09 || byte == 0x0D))) || byte == 0x7F
        }
        if let forbidden {
            add(field(), "contains the control character U+\(String(forbidden, radix: 16, uppercase: true).leftPadded(4))")
        }
    }

    mutating func country(_ value: String, field: @autoclosure () -> String) {
        guard !value.isEmpty else { return }
        let bytes = Array(value.utf8)
        if bytes.count != 2 || !bytes.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) {
            add(field(), "\"\(Self.printable(value))\" is not an ISO 3166-1 alpha-2 code (two capital letters)")
        }
    }

    mutating func subject(_ subject: Ibm_V1_Subject, field: @autoclosure () -> String) {
        guard let kind = subject.kind else {
            add("\(field()).kind", "is required; one of \(Ibm_V1_Subject.OneOf_Kind.jsonNames.joined(separator: ", "))")
            return
        }
        switch kind {
        case let .vehicle(vehicle):
            text(vehicle.plate, field: "\(field()).plate", required: true)
            country(vehicle.country, field: "\(field()).country")
            text(vehicle.make, field: "\(field()).make")
            text(vehicle.colour, field: "\(field()).colour")
        case let .person(person):
            if person.name.isEmpty && person.document.isEmpty {
                add(field(), "a person needs a name or a document")
            }
            text(person.name, field: "\(field()).name")
            text(person.document, field: "\(field()).document")
            country(person.nationality, field: "\(field()).nationality")
            if !person.birthDate.isEmpty, !Self.isDate(person.birthDate) {
                add("\(field()).birth_date", "\"\(Self.printable(person.birthDate))\" is not a date in the form YYYY-MM-DD")
            }
        case let .weapon(weapon):
            text(weapon.type, field: "\(field()).type", required: true)
            text(weapon.pattern, field: "\(field()).pattern")
            text(weapon.calibre, field: "\(field()).calibre")
            text(weapon.serial, field: "\(field()).serial")
            text(weapon.headstamp, field: "\(field()).headstamp")
        case let .goods(goods):
            text(goods.commodity, field: "\(field()).commodity", required: true)
            if !goods.quantity.isFinite || goods.quantity < 0 {
                add("\(field()).quantity", "\(goods.quantity) must be a finite number ≥ 0")
            }
            text(goods.unit, field: "\(field()).unit")
        case let .vessel(vessel):
            text(vessel.name, field: "\(field()).name")
            text(vessel.mmsi, field: "\(field()).mmsi")
            text(vessel.imo, field: "\(field()).imo")
            country(vessel.flag, field: "\(field()).flag")
        case let .group(group):
            if group.size == 0 { add("\(field()).size", "must be at least 1") }
            count(group.nationalities.count, field: "\(field()).nationalities", max: limits.maxNationalities)
            for (position, nationality) in group.nationalities.enumerated() {
                country(nationality, field: "\(field()).nationalities[\(position)]")
            }
        case let .consignment(consignment):
            text(consignment.reference, field: "\(field()).reference", required: true)
        }
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x61...0x7A, UInt8(ascii: "_"), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    static func isDate(_ text: String) -> Bool {
        guard let stamp = RFC3339.parse(text + "T00:00:00Z") else { return false }
        return stamp.nanos == 0
    }

    /// The value as it may appear in a message: control characters escaped, cut to 64 characters.
    static func printable(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars.prefix(64) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return value.unicodeScalars.count > 64 ? out + "…" : out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
