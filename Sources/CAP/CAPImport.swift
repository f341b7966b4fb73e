import IBMProtocol
import SwiftProtobuf

/// CAP 1.2 XML → alerts, following Protocols/CAP.md.
///
/// Each `<info>` block becomes one alert (CAP puts category, severity, certainty and area in
/// `<info>`, and an IBM alert has one of each). With one `<info>` the alert's id is the CAP
/// `<identifier>`; with several, the n-th is `<identifier>.n`. Every alert is then checked by the
/// shared `AlertJSON` codec and `AlertValidator`, so CAP input meets exactly the rules JSON input does.
public enum CAPImport {
    /// The largest document accepted; CAP from agency systems is a few kilobytes.
    public static let maxBytes = 1 << 20
    /// The most `<info>` blocks one alert may fan out into.
    public static let maxInfoBlocks = 16
    /// Problems listed in one error; a document with more gets a count of the rest.
    public static let maxIssues = 100

    /// The alerts in one CAP 1.2 `<alert>` document.
    ///
    /// - Parameter origin: the agency the alerts come from, when the caller knows it (an agency
    ///   daemon stamps its own name); nil takes it from `<sender>`, up to any `@`.
    /// - Throws: every problem found, each naming the element path and the rule broken.
    public static func alerts(fromXML bytes: [UInt8], origin: String?) throws(CAPError) -> [Ibm_V1_Alert] {
        let root: XMLElement
        do {
            root = try XMLParser(limits: XMLLimits(maxBytes: maxBytes)).parse(bytes)
        } catch {
            throw CAPError(path: "xml", error.description)
        }
        var reader = CAPReader(origin: origin)
        let alerts = reader.read(root)
        if reader.issues.count > maxIssues {
            let more = reader.issues.count - maxIssues
            throw CAPError(issues: reader.issues.prefix(maxIssues) + [CAPError.Issue(path: "alert", message: "… and \(more) more problems")])
        }
        if !reader.issues.isEmpty { throw CAPError(issues: reader.issues) }
        return alerts
    }
}

/// Walks the element tree of one CAP document, collecting every problem instead of stopping at the first.
private struct CAPReader {
    typealias Occurs = CAPVocabulary.Occurs

    let origin: String?
    var issues: [CAPError.Issue] = []
    /// Paths already reported by a CAP rule; the codec's issues under them would only repeat it.
    var reportedPaths: [String] = []

    init(origin: String?) {
        self.origin = origin
    }

    /// `covers`: the problem makes the element's value unusable, so the codec's issues about it are left out.
    mutating func add(_ path: String, _ message: String, covers: Bool = true) {
        issues.append(CAPError.Issue(path: path, message: message))
        if covers { reportedPaths.append(path) }
    }

    // MARK: Structure

    /// The children of a container by local name, each checked against the CAP 1.2 schema.
    mutating func children(
        of element: XMLElement, path: String, schema: KeyValuePairs<String, Occurs>, allowSignature: Bool = false
    ) -> [String: [XMLElement]] {
        var found: [String: [XMLElement]] = [:]
        if !element.text.trimmedXMLSpace.isEmpty {
            add(path, "holds text; <\(element.localName)> may hold only CAP elements", covers: false)
        }
        for child in element.children {
            if child.namespace != CAPVocabulary.namespace {
                if allowSignature, CAPVocabulary.signatureNamespaces.contains(child.namespace) { continue }
                add("\(path)/\(child.qualifiedName)", child.namespace.isEmpty
                    ? "is in no namespace (line \(child.line)); CAP 1.2 elements are in \(CAPVocabulary.namespace)"
                    : "is in the namespace \(child.namespace.prefix(100)) (line \(child.line)), not CAP 1.2's (\(CAPVocabulary.namespace))")
                continue
            }
            guard schema.contains(where: { $0.key == child.localName }) else {
                add("\(path)/\(child.localName)", "is not a CAP 1.2 element of <\(element.localName)> (line \(child.line))")
                continue
            }
            found[child.localName, default: []].append(child)
        }
        for (name, occurs) in schema {
            let count = found[name]?.count ?? 0
            if occurs.required, count == 0 { add("\(path)/\(name)", "is required") }
            if occurs.single, count > 1 {
                add("\(path)/\(name)", "appears \(count) times (lines \(found[name, default: []].prefix(5).map { String($0.line) }.joined(separator: ", "))); CAP allows one")
            }
        }
        return found
    }

    /// The text of a leaf element: trimmed, unless `verbatim`.
    mutating func text(_ element: XMLElement?, path: String, verbatim: Bool = false) -> String? {
        guard let element else { return nil }
        guard element.children.isEmpty else {
            add(path, "must hold text, not elements (line \(element.line))")
            return nil
        }
        return verbatim ? element.text : element.text.trimmedXMLSpace
    }

    mutating func dateTime(_ text: String?, path: String) -> Google_Protobuf_Timestamp? {
        guard let text else { return nil }
        guard let stamp = RFC3339.parse(text) else {
            add(path, "\"\(text.prefix(40))\" is not a CAP date-time such as 2026-11-21T08:10:00-00:00")
            return nil
        }
        return stamp
    }

    mutating func oneOf(_ text: String?, _ allowed: [String], path: String, what: String) -> String? {
        guard let text else { return nil }
        guard allowed.contains(text) else {
            add(path, "\"\(text.prefix(40))\" is not a CAP \(what); one of \(allowed.joined(separator: ", "))")
            return nil
        }
        return text
    }

    // MARK: <alert>

    /// What every `<info>` of the alert shares.
    struct Header {
        var identifier: String?
        var origin: String?
        var originPath: String
        var msgType: Ibm_V1_MsgType?
        var references: [String] = []
        var recipients: [String] = []
        var sent: Google_Protobuf_Timestamp?
        var scope: String?
    }

    mutating func read(_ root: XMLElement) -> [Ibm_V1_Alert] {
        guard root.namespace == CAPVocabulary.namespace, root.localName == "alert" else {
            if let version = CAPVocabulary.olderNamespaces[root.namespace] {
                add(root.qualifiedName, "is CAP \(version); only CAP 1.2 (xmlns=\"\(CAPVocabulary.namespace)\") is accepted")
            } else if root.localName != "alert" {
                add(root.qualifiedName, "is not a CAP alert: the root element must be <alert xmlns=\"\(CAPVocabulary.namespace)\">")
            } else {
                add(root.qualifiedName, root.namespace.isEmpty
                    ? "has no namespace; a CAP 1.2 alert is <alert xmlns=\"\(CAPVocabulary.namespace)\">"
                    : "is in the namespace \(root.namespace.prefix(100)), not CAP 1.2's (\(CAPVocabulary.namespace))")
            }
            return []
        }
        let fields = children(of: root, path: "alert", schema: CAPVocabulary.alert, allowSignature: true)
        func leaf(_ name: String) -> String? { text(fields[name]?.first, path: "alert/\(name)") }

        var header = Header(originPath: origin == nil ? "alert/sender" : "origin (given with the document)")
        header.identifier = leaf("identifier")
        if let origin {
            header.origin = origin
        } else if let sender = leaf("sender") {
            header.origin = String(sender.prefix(while: { $0 != "@" }))
        }
        header.sent = dateTime(leaf("sent"), path: "alert/sent")
        if let status = oneOf(leaf("status"), CAPVocabulary.statuses, path: "alert/status", what: "status"), status != "Actual" {
            add("alert/status", "\(status) messages are not accepted; only Actual alerts enter the shared picture")
        }
        if let type = oneOf(leaf("msgType"), CAPVocabulary.messageTypes, path: "alert/msgType", what: "message type") {
            if let value = Ibm_V1_MsgType(jsonName: type.lowercased()) {
                header.msgType = value
            } else {
                add("alert/msgType", "\(type) messages carry no alert; only Alert, Update and Cancel are imported")
            }
        }
        header.scope = oneOf(leaf("scope"), CAPVocabulary.scopes, path: "alert/scope", what: "scope")
        if header.scope == "Restricted", fields["restriction"] == nil {
            add("alert/restriction", "is required when the scope is Restricted")
        }
        if header.scope == "Private", fields["addresses"] == nil {
            add("alert/addresses", "is required when the scope is Private")
        }
        if let addresses = leaf("addresses") { header.recipients = Self.addressList(addresses) }
        if let references = leaf("references") {
            for (position, entry) in CAPGeometry.tokens(references).enumerated() {
                let parts = entry.split(separator: ",", omittingEmptySubsequences: false)
                if parts.count == 3, !parts[1].isEmpty {
                    header.references.append(String(parts[1]))
                } else {
                    add("alert/references", "entry \(position + 1) \"\(entry.prefix(60))\" is not sender,identifier,sent")
                }
            }
        }

        let infos = fields["info"] ?? []
        if infos.isEmpty {
            add("alert/info", "is required: an IBM alert takes its category, severity, urgency, certainty, headline and area from <info>")
        }
        guard infos.count <= CAPImport.maxInfoBlocks else {
            add("alert/info", "appears \(infos.count) times, more than the limit of \(CAPImport.maxInfoBlocks)")
            return []
        }
        var alerts: [Ibm_V1_Alert] = []
        for (position, info) in infos.enumerated() {
            let single = infos.count == 1
            let id = single ? header.identifier : header.identifier.map { "\($0).\(position + 1)" }
            if let alert = readInfo(info, path: single ? "alert/info" : "alert/info[\(position + 1)]", id: id, header: header) {
                alerts.append(alert)
            }
        }
        return alerts
    }

    /// CAP 1.2 `<addresses>`: space-delimited, with multi-word addresses in double quotes.
    static func addressList(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
            } else if !quoted, character == " " || character == "\t" || character == "\n" {
                if !current.isEmpty { result.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    // MARK: <info>

    /// Where each alert field came from, to name CAP elements in the codec's issues.
    struct Sources {
        var info: String
        var observedAt: String
        var category: String
        var tlp = "alert/scope"
        var location: String
        var place: String
        var sector: String
        var subjects: [String] = []
    }

    mutating func readInfo(_ info: XMLElement, path: String, id: String?, header: Header) -> Ibm_V1_Alert? {
        let fields = children(of: info, path: path, schema: CAPVocabulary.info)
        func leaf(_ name: String, verbatim: Bool = false) -> String? {
            text(fields[name]?.first, path: "\(path)/\(name)", verbatim: verbatim)
        }
        var sources = Sources(info: path, observedAt: "alert/sent", category: "\(path)/event",
                              location: "\(path)/area", place: "\(path)/area/areaDesc", sector: "\(path)/area")

        for (position, element) in (fields["category"] ?? []).enumerated() {
            let elementPath = fields["category", default: []].count == 1 ? "\(path)/category" : "\(path)/category[\(position + 1)]"
            _ = oneOf(text(element, path: elementPath), CAPVocabulary.categories, path: elementPath, what: "category")
        }
        let event = leaf("event")
        func value<E: JSONSpelledEnum>(_ name: String, _ type: E.Type) -> E? {
            guard let text = leaf(name) else { return nil }
            guard let value = CAPVocabulary.value(text, as: type) else {
                add("\(path)/\(name)", "\"\(text.prefix(40))\" is not a CAP \(name); one of \(E.jsonNames.map { CAPVocabulary.spelling($0) }.joined(separator: ", "))")
                return nil
            }
            return value
        }
        let urgency = value("urgency", Ibm_V1_Urgency.self)
        let severity = value("severity", Ibm_V1_Severity.self)
        let certainty = value("certainty", Ibm_V1_Certainty.self)

        // The time the agency observed the event: onset, else effective, else sent.
        var observedAt = header.sent
        for name in ["effective", "onset"] where fields[name] != nil {
            observedAt = dateTime(leaf(name), path: "\(path)/\(name)")
            sources.observedAt = "\(path)/\(name)"
        }

        var category: Ibm_V1_Category?
        var tlp: Ibm_V1_Tlp?
        var subjects: [JSONValue] = []
        for (position, parameter) in (fields["parameter"] ?? []).enumerated() {
            let parameterPath = "\(path)/parameter[\(position + 1)]"
            let pair = children(of: parameter, path: parameterPath, schema: CAPVocabulary.valuePair)
            guard let name = text(pair["valueName"]?.first, path: "\(parameterPath)/valueName"),
                  let value = text(pair["value"]?.first, path: "\(parameterPath)/value")
            else { continue }
            switch name {
            case _ where name.uppercased() == CAPVocabulary.tlpName:
                guard tlp == nil else {
                    add(parameterPath, "a second TLP parameter; give the label once")
                    continue
                }
                guard let label = CAPVocabulary.tlp(value) else {
                    add(parameterPath, "TLP \"\(value.prefix(24))\" is not one of \(Ibm_V1_Tlp.jsonNames.map { $0.uppercased() }.joined(separator: ", "))")
                    continue
                }
                tlp = label
                sources.tlp = parameterPath
            case CAPVocabulary.categoryName:
                guard category == nil else {
                    add(parameterPath, "a second \(CAPVocabulary.categoryName) parameter; an alert has one category")
                    continue
                }
                guard let parsed = Self.category(value) else {
                    add(parameterPath, "\(CAPVocabulary.categoryName) \"\(value.prefix(40))\" is not one of \(Ibm_V1_Category.jsonNames.joined(separator: ", "))")
                    continue
                }
                category = parsed
                sources.category = parameterPath
            case CAPVocabulary.subjectName:
                do {
                    subjects.append(try SubjectCode.decode(value))
                    sources.subjects.append(parameterPath)
                } catch {
                    add(parameterPath, "\(CAPVocabulary.subjectName) \(error.message)")
                }
            default:
                continue  // other profiles' parameters carry nothing the alert holds
            }
        }
        if category == nil, let event {
            category = Self.category(event)
        }
        if category == nil, event != nil, !reportedPaths.contains(where: { $0.hasPrefix("\(path)/parameter") }) {
            add("\(path)/event", "names no IBM category, and no <parameter> with valueName \(CAPVocabulary.categoryName) gives one; the category is one of \(Ibm_V1_Category.jsonNames.joined(separator: ", "))")
        }
        // Without a TLP parameter the CAP scope sets the label, erring on the side of less sharing.
        if tlp == nil {
            switch header.scope {
            case "Public": tlp = .clear
            case "Restricted": tlp = .amber
            case "Private": tlp = .red
            default: break
            }
        }

        let location = readArea(fields["area"] ?? [], path: path, sources: &sources)

        var members: [(key: String, value: JSONValue)] = []
        if let id { members.append(("id", .string(id))) }
        if let origin = header.origin { members.append(("origin", .string(origin))) }
        if let type = header.msgType?.jsonName { members.append(("msg_type", .string(type))) }
        if !header.references.isEmpty { members.append(("references", .array(header.references.map(JSONValue.string)))) }
        if let observedAt { members.append(("observed_at", .string(RFC3339.format(observedAt)))) }
        if let name = category?.jsonName { members.append(("category", .string(name))) }
        if let name = severity?.jsonName { members.append(("severity", .string(name))) }
        if let name = urgency?.jsonName { members.append(("urgency", .string(name))) }
        if let name = certainty?.jsonName { members.append(("certainty", .string(name))) }
        if let name = tlp?.jsonName { members.append(("tlp", .string(name))) }
        if !header.recipients.isEmpty { members.append(("recipients", .array(header.recipients.map(JSONValue.string)))) }
        if let headline = leaf("headline") { members.append(("headline", .string(headline))) }
        if let description = leaf("description", verbatim: true), !description.isEmpty {
            members.append(("description", .string(description)))
        }
        if let location { members.append(("location", location)) }
        members.append(("subjects", .array(subjects)))

        do {
            return try AlertJSON().decode(.object(members))
        } catch {
            for issue in error.issues {
                let path = capPath(issue.field, sources: sources, header: header)
                let repeated = reportedPaths.contains { path == $0 || path.hasPrefix($0 + "/") }
                let known = issues.contains { $0.path == path && $0.field == issue.field && $0.message == issue.message }
                if !repeated, !known {
                    issues.append(CAPError.Issue(path: path, field: issue.field, message: issue.message))
                }
            }
            return nil
        }
    }

    /// Reads `arms_trafficking`, `Arms trafficking` or `arms-trafficking`.
    static func category(_ text: String) -> Ibm_V1_Category? {
        let name = String(text.trimmedXMLSpace.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
        return Ibm_V1_Category(jsonName: name)
    }

    /// The location: the first area's description, sector and point (first circle's centre,
    /// else first polygon's centroid). Every area's shapes are checked.
    mutating func readArea(_ areas: [XMLElement], path: String, sources: inout Sources) -> JSONValue? {
        var location: JSONValue?
        for (position, area) in areas.enumerated() {
            let areaPath = areas.count == 1 ? "\(path)/area" : "\(path)/area[\(position + 1)]"
            let fields = children(of: area, path: areaPath, schema: CAPVocabulary.area)
            let place = text(fields["areaDesc"]?.first, path: "\(areaPath)/areaDesc", verbatim: false)
            var sector: String?
            for (index, geocode) in (fields["geocode"] ?? []).enumerated() {
                let geocodePath = "\(areaPath)/geocode[\(index + 1)]"
                let pair = children(of: geocode, path: geocodePath, schema: CAPVocabulary.valuePair)
                guard text(pair["valueName"]?.first, path: "\(geocodePath)/valueName") == CAPVocabulary.sectorName,
                      let value = text(pair["value"]?.first, path: "\(geocodePath)/value")
                else { continue }
                if sector != nil, position == 0 {
                    add(geocodePath, "a second \(CAPVocabulary.sectorName) geocode; an alert has one sector")
                }
                if sector == nil, position == 0 { sources.sector = geocodePath }
                sector = sector ?? value
            }
            var point: CAPGeometry.Point?
            var pointPath = areaPath
            for (index, circle) in (fields["circle"] ?? []).enumerated() {
                let circlePath = fields["circle", default: []].count == 1 ? "\(areaPath)/circle" : "\(areaPath)/circle[\(index + 1)]"
                guard let text = text(circle, path: circlePath) else { continue }
                do {
                    let centre = try CAPGeometry.circleCentre(text)
                    if point == nil { (point, pointPath) = (centre, circlePath) }
                } catch {
                    add(circlePath, error.message)
                }
            }
            for (index, polygon) in (fields["polygon"] ?? []).enumerated() {
                let polygonPath = fields["polygon", default: []].count == 1 ? "\(areaPath)/polygon" : "\(areaPath)/polygon[\(index + 1)]"
                guard let text = text(polygon, path: polygonPath) else { continue }
                do {
                    let centroid = try CAPGeometry.polygonCentroid(text)
                    if point == nil { (point, pointPath) = (centroid, polygonPath) }
                } catch {
                    add(polygonPath, error.message)
                }
            }
            guard position == 0 else { continue }
            sources.location = pointPath
            sources.place = "\(areaPath)/areaDesc"
            if sector == nil { sources.sector = areaPath }
            guard let point else {
                if fields["circle"] == nil, fields["polygon"] == nil {
                    add(areaPath, "needs a <circle> or <polygon>: the alert's location is taken from it")
                }
                continue
            }
            var members: [(key: String, value: JSONValue)] = [("lat", JSONValue.number(point.lat)), ("lon", JSONValue.number(point.lon))]
            if let place, !place.isEmpty { members.append(("place", .string(place))) }
            if let sector, !sector.isEmpty { members.append(("sector", .string(sector))) }
            location = .object(members)
        }
        return location
    }

    /// The CAP element an alert JSON field came from.
    func capPath(_ field: String, sources: Sources, header: Header) -> String {
        let base = field.prefix(while: { $0 != "." && $0 != "[" })
        switch base {
        case "id": return "alert/identifier"
        case "origin": return header.originPath
        case "msg_type": return "alert/msgType"
        case "references": return "alert/references"
        case "recipients": return "alert/addresses"
        case "observed_at": return sources.observedAt
        case "category": return sources.category
        case "tlp": return sources.tlp
        case "severity", "urgency", "certainty", "headline", "description": return "\(sources.info)/\(base)"
        case "location":
            if field == "location.place" { return sources.place }
            if field == "location.sector" { return sources.sector }
            return sources.location
        case "subjects":
            if let open = field.firstIndex(of: "["), let close = field.firstIndex(of: "]"),
               let position = Int(field[field.index(after: open)..<close]), position < sources.subjects.count {
                return sources.subjects[position]
            }
            return sources.info
        default:
            return sources.info
        }
    }
}
