import IBMProtocol

/// The compact text of one subject in an `ibm:subject` parameter: `KIND;key=value;key=value`.
///
/// Keys are the subject's JSON field names (DESIGN.md §4); `nationalities` is a comma-separated
/// list. In values, `%` and `;` are written `%25` and `%3B`. For example
/// `vehicle;plate=123 تونس 4567;country=TN` or `group;size=14;nationalities=SD,TD`.
enum SubjectCode {
    /// Keys whose JSON value is a number rather than a string.
    static let numericKeys: Set<String> = ["quantity", "size"]
    static let listKeys: Set<String> = ["nationalities"]

    static func encode(_ subject: Ibm_V1_Subject) -> String {
        guard case let .object(members) = AlertJSON.jsonValue(subject) else { return "" }
        var parts: [String] = []
        for member in members {
            switch member.value {
            case let .string(text) where member.key == "kind": parts.insert(text, at: 0)
            case let .string(text): parts.append("\(member.key)=\(escape(text))")
            case let .number(text): parts.append("\(member.key)=\(text)")
            case let .array(values):
                let texts = values.compactMap { value -> String? in
                    if case let .string(text) = value { return escape(text) }
                    return nil
                }
                parts.append("\(member.key)=\(texts.joined(separator: ","))")
            default: break
            }
        }
        return parts.joined(separator: ";")
    }

    /// The subject as a JSON object for the shared codec, which checks the kind, the fields and their rules.
    static func decode(_ text: String) throws(GeometryError) -> JSONValue {
        var tokens = text.split(separator: ";", omittingEmptySubsequences: true)
            .map { $0.trimmedXMLSpace }
            .filter { !$0.isEmpty }
        guard !tokens.isEmpty else { throw GeometryError("is empty; write KIND;key=value;… (e.g. vehicle;plate=123 TU 4567)") }
        let kind = tokens.removeFirst()
        var members: [(key: String, value: JSONValue)] = [("kind", .string(kind))]
        var seen: Set<String> = ["kind"]
        for token in tokens {
            guard let equals = token.firstIndex(of: "=") else {
                throw GeometryError("\"\(token.prefix(40))\" is not key=value")
            }
            let key = token[..<equals].trimmedXMLSpace
            let raw = token[token.index(after: equals)...].trimmedXMLSpace
            let value = unescape(raw)
            guard seen.insert(key).inserted else { throw GeometryError("the key \(key.prefix(40)) appears twice") }
            if numericKeys.contains(key) {
                guard CAPGeometry.decimal(value) != nil else { throw GeometryError("\(key): \"\(value.prefix(24))\" is not a number") }
                members.append((key, .number(value)))
            } else if listKeys.contains(key) {
                let items = raw.split(separator: ",").map { JSONValue.string(unescape($0.trimmedXMLSpace)) }
                members.append((key, .array(items)))
            } else {
                members.append((key, .string(value)))
            }
        }
        return .object(members)
    }

    static func escape(_ text: String) -> String {
        guard text.contains("%") || text.contains(";") || text.contains(",") else { return text }
        var out = ""
        for character in text {
            switch character {
            case "%": out += "%25"
            case ";": out += "%3B"
            case ",": out += "%2C"
            default: out.append(character)
            }
        }
        return out
    }

    /// Undoes `escape`, left to right; any other `%` sequence is kept as written.
    static func unescape(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out = ""
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            let code = rest[percent...].prefix(3).uppercased()
            switch code {
            case "%25": out += "%"
            case "%3B": out += ";"
            case "%2C": out += ","
            default:
                out += "%"
                rest = rest[rest.index(after: percent)...]
                continue
            }
            rest = rest[rest.index(percent, offsetBy: 3)...]
        }
        return out + rest
    }
}
