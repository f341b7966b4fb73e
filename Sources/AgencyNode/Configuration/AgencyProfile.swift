import Foundation
import IBMProtocol

/// What distinguishes one agency's node from another's. It is data read from the
/// agency's configuration file, so the three daemons share every line of code.
public struct AgencyProfile: Sendable, Equatable {
    /// Prefix of the ids this agency's alerts carry (e.g. `cus-`); generated ids use it too.
    public var idPrefix: String
    /// Whether an alert id must start with `idPrefix`.
    public var requireIDPrefix = false
    /// Categories the agency usually reports.
    public var reports: [Ibm_V1_Category] = []
    /// Whether intake refuses categories outside `reports`.
    public var restrictReports = false
    /// Categories the agency most needs to receive: `?focus=true` on `/v1/picture` and `/v1/feed`.
    public var receives: [Ibm_V1_Category] = []
    /// Extra rules on subjects, beyond the shared validation rules.
    public var subjectRules: [SubjectRule] = []

    public init(idPrefix: String) {
        self.idPrefix = idPrefix
    }

    /// Each subject of `kind` must carry every field of at least one of `requireOneOf`.
    public struct SubjectRule: Sendable, Equatable {
        public var kind: String
        public var requireOneOf: [[String]]
        /// Message types the rule applies to (cancels usually carry no subjects).
        public var msgTypes: [Ibm_V1_MsgType] = [.alert, .update]

        public init(kind: String, requireOneOf: [[String]]) {
            self.kind = kind
            self.requireOneOf = requireOneOf
        }

        /// `document`, or `name and nationality`, …, joined by ", or ".
        var wording: String {
            requireOneOf.map { $0.joined(separator: " and ") }.joined(separator: ", or ")
        }
    }

    /// The fields each subject kind has (DESIGN.md §4); rules may name only these.
    public static let subjectFields: [String: Set<String>] = [
        "vehicle": ["plate", "country", "make", "colour"],
        "person": ["name", "document", "nationality", "birth_date"],
        "weapon": ["type", "pattern", "calibre", "serial", "headstamp", "quantity"],
        "goods": ["commodity", "quantity", "unit"],
        "vessel": ["name", "mmsi", "imo", "flag"],
        "group": ["size", "nationalities"],
        "consignment": ["reference"],
    ]
}

extension AgencyProfile {
    /// The profile's rules on one alert object in the JSON form (after `origin` and `id` were filled).
    /// Checked on the JSON form so that they are reported together with the shared rules.
    func check(_ alert: JSONValue, agency: String, into issues: inout [ValidationIssue]) {
        if case let .string(origin)? = alert["origin"], origin != agency {
            issues.append(ValidationIssue(field: "origin", message: "must be \"\(agency)\" (this agency) or absent"))
        }
        if requireIDPrefix, case let .string(id)? = alert["id"], !id.hasPrefix(idPrefix) {
            issues.append(ValidationIssue(field: "id", message: "must start with \"\(idPrefix)\", the \(agency) id prefix"))
        }
        if restrictReports, case let .string(name)? = alert["category"], let category = Ibm_V1_Category(jsonName: name),
           !reports.contains(category) {
            let allowed = reports.compactMap(\.jsonName).joined(separator: ", ")
            issues.append(ValidationIssue(field: "category", message: "\(agency) reports only \(allowed)"))
        }
        let msgType: Ibm_V1_MsgType
        if case let .string(name)? = alert["msg_type"], let parsed = Ibm_V1_MsgType(jsonName: name) {
            msgType = parsed
        } else {
            msgType = .alert
        }
        guard case let .array(subjects)? = alert["subjects"] else { return }
        for (index, subject) in subjects.enumerated() {
            guard case let .string(kind)? = subject["kind"] else { continue }
            for rule in subjectRules where rule.kind == kind && rule.msgTypes.contains(msgType) {
                let satisfied = rule.requireOneOf.contains { fields in fields.allSatisfy { Self.isPresent(subject[$0]) } }
                if !satisfied {
                    issues.append(ValidationIssue(
                        field: "subjects[\(index)]", message: "a \(kind) reported by \(agency) needs \(rule.wording)"))
                }
            }
        }
    }

    private static func isPresent(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return false
        case let .string(text)?: return !text.trimmingCharacters(in: .whitespaces).isEmpty
        case let .array(elements)?: return !elements.isEmpty
        default: return true
        }
    }
}
