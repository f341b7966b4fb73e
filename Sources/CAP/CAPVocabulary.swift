import IBMProtocol

/// The names and code values of OASIS CAP 1.2 that the mapping uses (Protocols/CAP.md).
enum CAPVocabulary {
    static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"
    /// Earlier CAP versions: named in the error so a sender knows what to change.
    static let olderNamespaces = [
        "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
        "http://www.incident.com/cap/1.0": "1.0",
    ]
    /// XML Signature and Encryption may follow the alert's elements (CAP 1.2 §3.3.2.1); they are not checked, and dropped.
    static let signatureNamespaces: Set<String> = [
        "http://www.w3.org/2000/09/xmldsig#",
        "http://www.w3.org/2001/04/xmlenc#",
    ]

    /// How often an element may occur inside its parent.
    enum Occurs {
        case one, optional, many, oneOrMore

        var required: Bool { self == .one || self == .oneOrMore }
        var single: Bool { self == .one || self == .optional }
    }

    /// Children of each CAP container element (CAP 1.2 §3.2), in schema order.
    static let alert: KeyValuePairs<String, Occurs> = [
        "identifier": .one, "sender": .one, "sent": .one, "status": .one, "msgType": .one, "source": .optional,
        "scope": .one, "restriction": .optional, "addresses": .optional, "code": .many, "note": .optional,
        "references": .optional, "incidents": .optional, "info": .many,
    ]
    static let info: KeyValuePairs<String, Occurs> = [
        "language": .optional, "category": .oneOrMore, "event": .one, "responseType": .many, "urgency": .one,
        "severity": .one, "certainty": .one, "audience": .optional, "eventCode": .many, "effective": .optional,
        "onset": .optional, "expires": .optional, "senderName": .optional, "headline": .optional,
        "description": .optional, "instruction": .optional, "web": .optional, "contact": .optional,
        "parameter": .many, "resource": .many, "area": .many,
    ]
    static let area: KeyValuePairs<String, Occurs> = [
        "areaDesc": .one, "polygon": .many, "circle": .many, "geocode": .many, "altitude": .optional, "ceiling": .optional,
    ]
    static let resource: KeyValuePairs<String, Occurs> = [
        "resourceDesc": .one, "mimeType": .one, "size": .optional, "uri": .optional, "derefUri": .optional, "digest": .optional,
    ]
    /// `parameter`, `eventCode` and `geocode`.
    static let valuePair: KeyValuePairs<String, Occurs> = ["valueName": .one, "value": .one]

    static let statuses = ["Actual", "Exercise", "System", "Test", "Draft"]
    static let messageTypes = ["Alert", "Update", "Cancel", "Ack", "Error"]
    static let scopes = ["Public", "Restricted", "Private"]
    static let categories = ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"]

    /// Parameter and geocode value names of the IBM profile.
    static let tlpName = "TLP"
    static let categoryName = "ibm:category"
    static let subjectName = "ibm:subject"
    static let sectorName = "ibm:sector"

    /// CAP spells the shared values capitalised: `Immediate`, `Severe`, `Observed`.
    static func spelling(_ jsonName: String?) -> String {
        guard let jsonName, let first = jsonName.first else { return "" }
        return first.uppercased() + jsonName.dropFirst()
    }

    /// The value whose CAP spelling is `text` (any case); CAP 1.1's `Very Likely` reads as `Likely`.
    static func value<E: JSONSpelledEnum>(_ text: String, as type: E.Type) -> E? {
        let lowered = text.lowercased()
        if E.self == Ibm_V1_Certainty.self, lowered == "very likely" { return Ibm_V1_Certainty.likely as? E }
        return E(jsonName: lowered)
    }

    /// The CAP `<category>` an IBM category is exported under.
    static func capCategory(_ category: Ibm_V1_Category) -> String {
        switch category {
        case .seaPollution, .illegalFishing: "Env"
        default: "Security"
        }
    }

    /// TLP labels as the `TLP` parameter writes them: `CLEAR`, `AMBER+STRICT`.
    static func tlpSpelling(_ tlp: Ibm_V1_Tlp) -> String { (tlp.jsonName ?? "").uppercased() }

    /// Reads `AMBER`, `TLP:AMBER`, `amber+strict`; TLP 1.0's `WHITE` reads as `CLEAR`.
    static func tlp(_ text: String) -> Ibm_V1_Tlp? {
        var label = text.trimmedXMLSpace.lowercased()
        if label.hasPrefix("tlp:") { label.removeFirst(4) }
        if label == "white" { return .clear }
        return Ibm_V1_Tlp(jsonName: label)
    }
}
