import Foundation
import IBMProtocol
import TestSupport

/// A deterministic workload for a fault run: alerts shaped like the dev scenario's, three
/// agencies reporting each synthetic event, with fresh ids and identifiers.
///
/// Times are recent (the hub's idle expiry must not close incidents during a run, and the
/// offline clean run uses the same clock), identifiers carry the event number so the three
/// reports of one event correlate and two events never share one, and TLP is green so every
/// subscriber is released every event.
struct AlertLoad {
    static let origins = ["border", "migration", "customs"]
    static let prefixes = ["border": "bor", "migration": "mig", "customs": "cus"]

    /// Alerts per agency, in the order that agency sends them.
    let byOrigin: [String: [Ibm_V1_Alert]]

    var count: Int { byOrigin.values.reduce(0) { $0 + $1.count } }

    static func generate(count: Int, seed: UInt64, runTag: String) throws -> AlertLoad {
        var rng = SeededGenerator(seed: seed)
        let templates = try Self.templates()
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 3 * 3_600_000
        var byOrigin: [String: [Ibm_V1_Alert]] = [:]
        var offset = (lat: 0.0, lon: 0.0)
        for index in 0..<count {
            let origin = origins[index % origins.count]
            let event = index / origins.count
            if index % origins.count == 0 {
                offset = (Double.random(in: -1.5...1.5, using: &rng), Double.random(in: -1.5...1.5, using: &rng))
            }
            guard let pool = templates[origin], !pool.isEmpty else { throw TestFailure("no dev alerts of \(origin)") }
            var alert = pool[Int.random(in: 0..<pool.count, using: &rng)]
            alert.id = "\(prefixes[origin]!)-\(runTag)-\(index)"
            alert.origin = origin
            alert.tlp = .green
            alert.recipients = []
            let observed = base + Int64(event) * 500 + Int64.random(in: 0...400, using: &rng)
            alert.observedAt = .init(seconds: observed / 1000, nanos: Int32(observed % 1000) * 1_000_000)
            alert.location.lat = max(-89.9, min(89.9, alert.location.lat + offset.lat))
            alert.location.lon = max(-179.9, min(179.9, alert.location.lon + offset.lon))
            let tag = "X\(event)"
            alert.subjects = alert.subjects.map { subject in
                var subject = subject
                switch subject.kind {
                case var .vehicle(vehicle)?: vehicle.plate += tag; subject.kind = .vehicle(vehicle)
                case var .person(person)?:
                    if !person.document.isEmpty { person.document += tag }
                    person.name += " \(tag)"
                    subject.kind = .person(person)
                case var .weapon(weapon)?: if !weapon.serial.isEmpty { weapon.serial += tag }; subject.kind = .weapon(weapon)
                case var .vessel(vessel)?:
                    if !vessel.mmsi.isEmpty { vessel.mmsi += tag }
                    if !vessel.imo.isEmpty { vessel.imo += tag }
                    subject.kind = .vessel(vessel)
                case var .consignment(consignment)?: consignment.reference += tag; subject.kind = .consignment(consignment)
                default: break
                }
                return subject
            }
            byOrigin[origin, default: []].append(alert)
        }
        return AlertLoad(byOrigin: byOrigin)
    }

    /// The dev scenario's original alerts (no updates or cancels), by agency.
    private static func templates() throws -> [String: [Ibm_V1_Alert]] {
        let url = TestPaths.devScenario.appendingPathComponent("alerts.jsonl")
        let codec = AlertJSON()
        var result: [String: [Ibm_V1_Alert]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.isEmpty {
            let alert = try codec.decode(String(line))
            // The migration profile refuses a person with neither a document nor name and nationality.
            let identifiable = alert.subjects.allSatisfy { subject in
                guard case let .person(person)? = subject.kind else { return true }
                return !person.document.isEmpty || (!person.name.isEmpty && !person.nationality.isEmpty)
            }
            if alert.msgType == .alert, identifiable { result[alert.origin, default: []].append(alert) }
        }
        return result
    }
}
