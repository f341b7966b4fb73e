import Crypto
import Foundation
import IBMProtocol

/// Turns what agency systems hand in (JSON, JSON lines, CAP XML) into validated alerts
/// of this agency: the shared codec's rules, then the profile's. `origin` is filled with
/// the agency's name when absent (another agency's name is refused), and a missing `id`
/// is generated with the profile's prefix.
public struct AlertIntake: Sendable {
    public let agency: String
    public let profile: AgencyProfile
    private let codec = AlertJSON()

    public init(agency: String, profile: AgencyProfile) {
        self.agency = agency
        self.profile = profile
    }

    /// One alert or an array of them. Missing ids are random, unless `idSeed` is given:
    /// then they derive from it and the alert's position, so that reading the same input
    /// again (a spool file after a crash) gives the same ids and the outbox keeps it once.
    public func decodeJSON(_ bytes: [UInt8], idSeed: String? = nil) throws(AlertValidationError) -> [Ibm_V1_Alert] {
        var position = 0
        return try codec.decodeOneOrMany(
            bytes,
            prepare: { value in
                fill(&value, idSeed: idSeed.map { "\($0)#\(position)" })
                position += 1
            },
            extraChecks: { value, issues in profile.check(value, agency: agency, into: &issues) })
    }

    /// One alert per non-blank line; issues are named `line N: field`.
    public func decodeJSONLines(_ bytes: [UInt8], idSeed: String? = nil) throws(AlertValidationError) -> [Ibm_V1_Alert] {
        var alerts: [Ibm_V1_Alert] = []
        var issues: [ValidationIssue] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = Array(line.drop(while: Self.isSpace).reversed().drop(while: Self.isSpace).reversed())
            if trimmed.isEmpty { continue }
            if trimmed.first != UInt8(ascii: "{") {
                issues.append(ValidationIssue(field: "line \(lineNumber)", message: "is not a JSON object (one alert per line)"))
                continue
            }
            do {
                alerts += try decodeJSON(trimmed, idSeed: idSeed.map { "\($0):\(lineNumber)" })
            } catch {
                issues += error.issues.map { ValidationIssue(field: "line \(lineNumber): \($0.field)", message: $0.message) }
            }
        }
        if alerts.isEmpty && issues.isEmpty { issues.append(ValidationIssue(field: "$", message: "holds no alert")) }
        if !issues.isEmpty { throw AlertValidationError(issues: issues) }
        return alerts
    }

    /// Checks alerts that came in another form (CAP) against the profile, as their JSON form.
    public func checkProfile(_ alerts: [Ibm_V1_Alert]) throws(AlertValidationError) {
        var issues: [ValidationIssue] = []
        for (index, alert) in alerts.enumerated() {
            var found: [ValidationIssue] = []
            profile.check(AlertJSON.jsonValue(alert), agency: agency, into: &found)
            let prefix = alerts.count == 1 ? "" : "[\(index)]."
            issues += found.map { ValidationIssue(field: prefix + $0.field, message: $0.message) }
        }
        if !issues.isEmpty { throw AlertValidationError(issues: issues) }
    }

    /// Fills `origin` and `id` when absent.
    private func fill(_ value: inout JSONValue, idSeed: String?) {
        guard case var .object(members) = value else { return }
        func absent(_ key: String) -> Bool {
            guard let member = members.first(where: { $0.key == key }) else { return true }
            return member.value == .null
        }
        if absent("origin") {
            members.removeAll { $0.key == "origin" }
            members.append(("origin", .string(agency)))
        }
        if absent("id") {
            members.removeAll { $0.key == "id" }
            members.insert(("id", .string(generatedID(seed: idSeed))), at: 0)
        }
        value = .object(members)
    }

    /// `<prefix><20 hex>`: from the seed's SHA-256 when given, else random.
    func generatedID(seed: String?) -> String {
        let bytes: [UInt8]
        if let seed {
            bytes = Array(SHA256.hash(data: Array(seed.utf8)).prefix(10))
        } else {
            bytes = (0..<10).map { _ in UInt8.random(in: 0...255) }
        }
        return profile.idPrefix + bytes.map { String(format: "%02x", $0) }.joined()
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}
