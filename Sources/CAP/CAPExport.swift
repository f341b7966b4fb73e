import IBMProtocol
import SwiftProtobuf

/// Alert → CAP 1.2 XML, following Protocols/CAP.md: one `<alert>` with one `<info>`.
///
/// Importing the result gives back the same alert (for a valid alert whose times are whole
/// seconds: CAP date-times have no fraction).
public enum CAPExport {
    /// The CAP 1.2 document for `alert`.
    ///
    /// - Parameters:
    ///   - sender: the CAP `<sender>`, also written in each `<references>` entry (an alert
    ///     references only its originator's alerts).
    ///   - referenceSent: the `<sent>` of referenced alerts, by id, when the caller knows them; CAP
    ///     writes references as `sender,identifier,sent` and the alert holds only ids. A reference
    ///     not found here gets this alert's own sent time.
    ///   - singleLine: the whole document on one line (line breaks in text written `&#10;`), as
    ///     `ibmctl replay --format cap` prints one document per line.
    public static func xml(
        for alert: Ibm_V1_Alert, sender: String,
        referenceSent: [String: Google_Protobuf_Timestamp] = [:], singleLine: Bool = false
    ) -> String {
        var writer = XMLWriter(singleLine: singleLine)
        let sent = alert.hasObservedAt ? dateTime(alert.observedAt) : ""
        writer.declaration()
        writer.open("alert", attributes: [("xmlns", CAPVocabulary.namespace)])
        writer.leaf("identifier", alert.id)
        writer.leaf("sender", sender)
        writer.leaf("sent", sent)
        writer.leaf("status", "Actual")
        writer.leaf("msgType", CAPVocabulary.spelling(alert.msgType.jsonName))
        // TLP clear and green are for every member; amber and above are restricted, and go to named
        // addresses when the alert lists recipients.
        if !alert.tlp.allowsRecipients {
            writer.leaf("scope", "Public")
        } else if alert.recipients.isEmpty {
            writer.leaf("scope", "Restricted")
            writer.leaf("restriction", "TLP:\(CAPVocabulary.tlpSpelling(alert.tlp))")
        } else {
            writer.leaf("scope", "Private")
        }
        if !alert.recipients.isEmpty {
            writer.leaf("addresses", alert.recipients.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " "))
        }
        if !alert.references.isEmpty {
            let entries = alert.references.map { id in
                "\(sender),\(id),\(referenceSent[id].map(dateTime) ?? sent)"
            }
            writer.leaf("references", entries.joined(separator: " "))
        }

        writer.open("info")
        writer.leaf("category", CAPVocabulary.capCategory(alert.category))
        writer.leaf("event", (alert.category.jsonName ?? "other").replacingUnderscores())
        writer.leaf("urgency", CAPVocabulary.spelling(alert.urgency.jsonName))
        writer.leaf("severity", CAPVocabulary.spelling(alert.severity.jsonName))
        writer.leaf("certainty", CAPVocabulary.spelling(alert.certainty.jsonName))
        if alert.hasObservedAt { writer.leaf("onset", sent) }
        writer.leaf("headline", alert.headline)
        if !alert.description_p.isEmpty { writer.leaf("description", alert.description_p) }
        writer.parameter(CAPVocabulary.categoryName, alert.category.jsonName ?? "")
        writer.parameter(CAPVocabulary.tlpName, CAPVocabulary.tlpSpelling(alert.tlp))
        for subject in alert.subjects {
            writer.parameter(CAPVocabulary.subjectName, SubjectCode.encode(subject))
        }
        if alert.hasLocation {
            let location = alert.location
            writer.open("area")
            writer.leaf("areaDesc", location.place)
            // A point: CAP has no point shape, so a circle of radius 0.
            writer.leaf("circle", "\(CAPGeometry.text(location.lat)),\(CAPGeometry.text(location.lon)) 0")
            if !location.sector.isEmpty {
                writer.open("geocode")
                writer.leaf("valueName", CAPVocabulary.sectorName)
                writer.leaf("value", location.sector)
                writer.close("geocode")
            }
            writer.close("area")
        }
        writer.close("info")
        writer.close("alert")
        return writer.output
    }

    /// CAP's date-time form: whole seconds, and UTC written `-00:00` (CAP 1.2 §3.3.2 forbids `Z`).
    static func dateTime(_ timestamp: Google_Protobuf_Timestamp) -> String {
        var whole = Google_Protobuf_Timestamp()
        whole.seconds = timestamp.seconds
        return String(RFC3339.format(whole).dropLast()) + "-00:00"
    }
}

extension String {
    func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}

/// Writes indented XML text, escaping character data.
private struct XMLWriter {
    let singleLine: Bool
    var output = ""
    var depth = 0

    init(singleLine: Bool) {
        self.singleLine = singleLine
    }

    mutating func line(_ text: String) {
        if !singleLine { output += String(repeating: "  ", count: depth) }
        output += text
        if !singleLine { output += "\n" }
    }

    mutating func declaration() {
        line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    }

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        line("<\(name)" + attributes.map { " \($0.0)=\"\(escape($0.1, attribute: true))\"" }.joined() + ">")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    mutating func leaf(_ name: String, _ text: String) {
        line("<\(name)>\(escape(text, attribute: false))</\(name)>")
    }

    mutating func parameter(_ name: String, _ value: String) {
        open("parameter")
        leaf("valueName", name)
        leaf("value", value)
        close("parameter")
    }

    /// `&`, `<`, `>`; CR always as `&#13;` (a parser turns a literal CR into LF); in one-line
    /// output also LF and tab, so no document spans two lines.
    func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\r": out += "&#13;"
            case "\n" where singleLine || attribute: out += "&#10;"
            case "\t" where singleLine || attribute: out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
