import Correlation
import Foundation
import IBMProtocol
import SwiftProtobuf

/// The labelled development traffic of ../shared/scenarios/dev.
enum DevScenario {
    /// /work/main/Tests/CorrelationTests/X.swift → three levels up is /work.
    static let folder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/scenarios/dev")
    static var alertsPath: String { folder.appendingPathComponent("alerts.jsonl").path }
    static var truthPath: String { folder.appendingPathComponent("truth.json").path }

    /// The distinct alerts in arrival order (resends left out, as the hub drops them).
    static func alerts() throws -> [Ibm_V1_Alert] {
        let truth = try ScenarioTruth.load(path: truthPath)
        return try CorrelationScoring.readAlerts(path: alertsPath, skipLines: truth.resendLines)
    }
}

/// The repository's Config folder, next to Tests.
enum RepositoryConfig {
    static let correlationPath = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/correlation.yaml").path
}

/// A base time for hand-made alerts: 2026-11-02T00:00:00Z.
let baseMs: Int64 = 1_793_577_600_000
let minute: Int64 = 60_000
let hour: Int64 = 3_600_000

enum Subject {
    static func vehicle(_ plate: String, country: String = "") -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var vehicle = Ibm_V1_Vehicle()
        vehicle.plate = plate
        vehicle.country = country
        subject.vehicle = vehicle
        return subject
    }

    static func person(_ name: String, document: String = "", nationality: String = "") -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var person = Ibm_V1_Person()
        person.name = name
        person.document = document
        person.nationality = nationality
        subject.person = person
        return subject
    }

    static func weapon(serial: String) -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var weapon = Ibm_V1_Weapon()
        weapon.type = "assault_rifle"
        weapon.serial = serial
        subject.weapon = weapon
        return subject
    }

    static func vessel(mmsi: String = "", imo: String = "") -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var vessel = Ibm_V1_Vessel()
        vessel.mmsi = mmsi
        vessel.imo = imo
        subject.vessel = vessel
        return subject
    }

    static func consignment(_ reference: String) -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var consignment = Ibm_V1_Consignment()
        consignment.reference = reference
        subject.consignment = consignment
        return subject
    }

    static func group(_ size: UInt32) -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        var group = Ibm_V1_Group()
        group.size = size
        subject.group = group
        return subject
    }

    /// One subject carrying an identifier of `kind` with value `value`.
    static func carrying(_ kind: IdentifierKind, _ value: String) -> Ibm_V1_Subject {
        switch kind {
        case .plate: vehicle(value, country: "LY")
        case .document: person("Test Person", document: value, nationality: "LY")
        case .serial: weapon(serial: value)
        case .mmsi: vessel(mmsi: value)
        case .imo: vessel(imo: value)
        case .consignment: consignment(value)
        }
    }
}

/// A valid alert at `minutes` after the base time, near Ras Jedir unless told otherwise.
func makeAlert(
    _ id: String, origin: String = "border", type: Ibm_V1_MsgType = .alert, references: [String] = [],
    minutes: Double = 0, category: Ibm_V1_Category = .smugglingGoods, severity: Ibm_V1_Severity = .moderate,
    lat: Double = 33.1500, lon: Double = 11.5600, sector: String = "TN-LY", subjects: [Ibm_V1_Subject] = []
) -> Ibm_V1_Alert {
    var alert = Ibm_V1_Alert()
    alert.id = id
    alert.origin = origin
    alert.msgType = type
    alert.references = references
    alert.observedAt = Google_Protobuf_Timestamp(unixMilliseconds: baseMs + Int64(minutes * 60_000))
    alert.category = category
    alert.severity = severity
    alert.urgency = .immediate
    alert.certainty = .observed
    alert.tlp = .green
    alert.headline = "Test alert \(id)"
    var location = Ibm_V1_Location()
    location.lat = lat
    location.lon = lon
    location.sector = sector
    alert.location = location
    alert.subjects = subjects
    return alert
}

/// A point `km` north of (lat, lon).
func north(of lat: Double, km: Double) -> Double {
    lat + km / (Geo.earthRadiusKm * Double.pi / 180)
}

/// Feeds alerts with hub-like seqs (alert, then its changes); returns the results.
struct Feeder {
    var correlator: Correlator
    var seq: UInt64 = 0

    init(rules: CorrelationRules = .default) {
        correlator = Correlator(rules: rules)
    }

    @discardableResult
    mutating func apply(_ alert: Ibm_V1_Alert) -> CorrelationResult {
        seq += 1
        let result = correlator.apply(alert, seq: seq)
        seq += UInt64(result.changes.count)
        return result
    }

    @discardableResult
    mutating func expire(asOf: Int64) -> [IncidentChange] {
        let changes = correlator.expire(asOf: asOf, firstSeq: seq + 1)
        seq += UInt64(changes.count)
        return changes
    }

    /// Whether two alerts fed in order end up in one incident.
    static func joins(_ first: Ibm_V1_Alert, _ second: Ibm_V1_Alert, rules: CorrelationRules = .default) -> Bool {
        var feeder = Feeder(rules: rules)
        let a = feeder.apply(first)
        let b = feeder.apply(second)
        return a.incidentID == b.incidentID
    }
}

/// A comparable digest of changes: kind, incident (protobuf bytes), rule, key, reason, merged into.
func digest(_ changes: [IncidentChange]) -> [String] {
    changes.map { change in
        let bytes: [UInt8] = (try? change.incident.serializedBytes()) ?? []
        return "\(change.kind.rawValue)|\(change.rule)|\(change.matchedKey)|\(change.closeReason.rawValue)|\(change.mergedInto)|"
            + bytes.map { String($0, radix: 16) }.joined()
    }
}
