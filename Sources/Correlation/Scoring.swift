import Foundation
import IBMProtocol

/// Pairwise clustering quality against labelled data (scenarios/README.md, "Scoring a clustering").
public struct PairwiseScore: Sendable, Equatable, CustomStringConvertible {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Hard-negative pairs (alerts that look alike but must not merge) found in one incident.
    public var hardNegativesMerged: Int
    public var hardNegativePairs: Int
    /// Pairs in one truth event, pairs in one incident, and pairs in both.
    public var truePairs: Int
    public var predictedPairs: Int
    public var correctPairs: Int
    /// Distinct alerts scored.
    public var alerts: Int

    public var description: String {
        func fixed(_ value: Double) -> String {
            let scaled = Int((value * 10_000).rounded())
            let fraction = String(scaled % 10_000)
            return "\(scaled / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
        }
        return "precision \(fixed(precision)) recall \(fixed(recall)) F1 \(fixed(f1)) hard negatives merged \(hardNegativesMerged)"
    }
}

/// The ground truth of a labelled scenario (`truth.json`).
public struct ScenarioTruth: Sendable {
    /// Event id → its alert ids.
    public var events: [String: [String]]
    public var hardNegatives: [(String, String)]
    /// 1-based line numbers of exact resends in the alerts file.
    public var resendLines: Set<Int>

    public init(events: [String: [String]], hardNegatives: [(String, String)], resendLines: Set<Int>) {
        self.events = events
        self.hardNegatives = hardNegatives
        self.resendLines = resendLines
    }

    public static func load(path: String) throws(ScoringError) -> ScenarioTruth {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try parse(data, file: path)
    }

    /// Parses truth.json (a trusted file, so Foundation's JSON reader is fine here).
    public static func parse(_ data: Data, file: String = "truth.json") throws(ScoringError) -> ScenarioTruth {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rawEvents = object["events"] as? [String: [String]]
        else { throw .invalidTruth(file, "expected an object with \"events\": {event: [alert ids]}") }
        var negatives: [(String, String)] = []
        for pair in object["hard_negatives"] as? [[String]] ?? [] {
            guard pair.count == 2 else { throw .invalidTruth(file, "a hard negative is not a pair: \(pair)") }
            negatives.append((pair[0], pair[1]))
        }
        let resends = (object["resend_lines"] as? [Int]) ?? []
        return ScenarioTruth(events: rawEvents, hardNegatives: negatives, resendLines: Set(resends))
    }
}

public enum ScoringError: Error, Sendable, CustomStringConvertible {
    case unreadable(String)
    case invalidTruth(String, String)
    case invalidAlert(file: String, line: Int, AlertValidationError)

    public var description: String {
        switch self {
        case let .unreadable(path): "\(path): cannot read the file"
        case let .invalidTruth(path, reason): "\(path): \(reason)"
        case let .invalidAlert(file, line, error): "\(file):\(line): \(error)"
        }
    }
}

/// Which engine clusters the alerts.
public enum CorrelationEngine: Sendable {
    /// The correlation engine with these rules.
    case rules(CorrelationRules)
    /// The naive baseline: joins only on an identical, un-normalised identifier string,
    /// with no time window and no proximity; updates and cancels follow their references.
    case naiveBaseline
}

/// One line of a clustering: `{"alert_id": "...", "incident_id": "..."}`.
public struct ClusterAssignment: Sendable, Equatable {
    public var alertID: String
    public var origin: String
    public var incidentID: String

    public init(alertID: String, origin: String, incidentID: String) {
        self.alertID = alertID
        self.origin = origin
        self.incidentID = incidentID
    }

    public var jsonLine: String {
        JSONWriter.string(.object([("alert_id", .string(alertID)), ("incident_id", .string(incidentID))]))
    }
}

public enum CorrelationScoring {
    /// Clusters alerts in arrival order as the hub would: resends of an (origin, id) are
    /// dropped, every alert gets the next journal seq and its changes the ones after, and
    /// idle expiry runs before each alert at the latest observed_at so far (the hub runs it
    /// on its clock, which follows the traffic). Merged incidents resolve to the survivor.
    public static func cluster(_ alerts: [Ibm_V1_Alert], engine: CorrelationEngine) -> [ClusterAssignment] {
        switch engine {
        case let .rules(rules): clusterWithRules(alerts, rules: rules)
        case .naiveBaseline: NaiveBaseline.cluster(alerts)
        }
    }

    /// Clusters a JSONL alerts file; `skipLines` (1-based) are left out, blank lines too.
    public static func cluster(alertsJSONL path: String, engine: CorrelationEngine, skipLines: Set<Int> = [])
        throws(ScoringError) -> [ClusterAssignment]
    {
        try cluster(readAlerts(path: path, skipLines: skipLines), engine: engine)
    }

    /// Scores a clustering; alerts of the truth that it does not list count as singletons.
    public static func score(_ clusters: [ClusterAssignment], truth: ScenarioTruth) -> PairwiseScore {
        var incidentOf: [String: String] = [:]
        for assignment in clusters where incidentOf[assignment.alertID] == nil {
            incidentOf[assignment.alertID] = assignment.incidentID
        }
        var eventOf: [String: String] = [:]
        for (event, ids) in truth.events { for id in ids { eventOf[id] = event } }
        // Unlisted alerts are singletons: an incident id no real one can have.
        func incident(_ alert: String) -> String { incidentOf[alert] ?? "\u{0}unlisted:" + alert }

        var both: [String: Int] = [:], byEvent: [String: Int] = [:], byIncident: [String: Int] = [:]
        for (alert, event) in eventOf {
            let inc = incident(alert)
            both[event + "\u{0}" + inc, default: 0] += 1
            byEvent[event, default: 0] += 1
            byIncident[inc, default: 0] += 1
        }
        func pairs(_ counts: [String: Int]) -> Int { counts.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 } }
        let correct = pairs(both), truePairs = pairs(byEvent), predicted = pairs(byIncident)
        let precision = predicted == 0 ? 1.0 : Double(correct) / Double(predicted)
        let recall = truePairs == 0 ? 1.0 : Double(correct) / Double(truePairs)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        let merged = truth.hardNegatives.filter { incident($0.0) == incident($0.1) }.count
        return PairwiseScore(precision: precision, recall: recall, f1: f1, hardNegativesMerged: merged,
                             hardNegativePairs: truth.hardNegatives.count, truePairs: truePairs, predictedPairs: predicted,
                             correctPairs: correct, alerts: eventOf.count)
    }

    /// Runs a labelled JSONL file through an engine and scores it, leaving out the truth's resend lines.
    public static func score(alertsJSONL path: String, truthJSON truthPath: String, engine: CorrelationEngine)
        throws(ScoringError) -> PairwiseScore
    {
        let truth = try ScenarioTruth.load(path: truthPath)
        return score(try cluster(alertsJSONL: path, engine: engine, skipLines: truth.resendLines), truth: truth)
    }

    /// Decodes (and validates) every alert of a JSONL file.
    public static func readAlerts(path: String, skipLines: Set<Int> = []) throws(ScoringError) -> [Ibm_V1_Alert] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        let codec = AlertJSON()
        var alerts: [Ibm_V1_Alert] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard !skipLines.contains(number), line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            do {
                alerts.append(try codec.decode(line))
            } catch {
                throw .invalidAlert(file: path, line: number, error)
            }
        }
        return alerts
    }

    private static func clusterWithRules(_ alerts: [Ibm_V1_Alert], rules: CorrelationRules) -> [ClusterAssignment] {
        var correlator = Correlator(rules: rules)
        var seq: UInt64 = 0
        var clock = Int64.min
        var seen: Set<AlertRef> = []
        var assigned: [(ClusterAssignment)] = []
        var mergedInto: [String: String] = [:]
        func record(_ changes: [IncidentChange]) {
            for change in changes where change.closeReason == .merged { mergedInto[change.incident.id] = change.mergedInto }
            seq += UInt64(changes.count)
        }
        for alert in alerts where seen.insert(AlertRef(origin: alert.origin, id: alert.id)).inserted {
            clock = max(clock, alert.observedAt.unixMilliseconds)
            record(correlator.expire(asOf: clock, firstSeq: seq + 1))
            seq += 1
            let result = correlator.apply(alert, seq: seq)
            record(result.changes)
            // A cancel of a report no longer held belongs to no incident: a singleton.
            let incident = result.incidentID.isEmpty ? "none:" + alert.origin + "/" + alert.id : result.incidentID
            assigned.append(ClusterAssignment(alertID: alert.id, origin: alert.origin, incidentID: incident))
        }
        func resolve(_ id: String) -> String {
            var current = id
            while let next = mergedInto[current] { current = next }
            return current
        }
        return assigned.map { ClusterAssignment(alertID: $0.alertID, origin: $0.origin, incidentID: resolve($0.incidentID)) }
    }
}

/// The baseline the engine is measured against: what a broker without normalisation would do.
enum NaiveBaseline {
    static func cluster(_ alerts: [Ibm_V1_Alert]) -> [ClusterAssignment] {
        var parent: [Int] = []
        func find(_ node: Int) -> Int {
            var root = node
            while parent[root] != root { root = parent[root] }
            var current = node
            while parent[current] != root {
                let next = parent[current]
                parent[current] = root
                current = next
            }
            return root
        }
        // The lower index stays the root, so each cluster is named after its first alert.
        func union(_ a: Int, _ b: Int) {
            let (x, y) = (find(a), find(b))
            if x != y { parent[max(x, y)] = min(x, y) }
        }
        var byIdentifier: [String: Int] = [:]
        var byAlert: [AlertRef: Int] = [:]
        var order: [Ibm_V1_Alert] = []
        for alert in alerts {
            let ref = AlertRef(origin: alert.origin, id: alert.id)
            guard byAlert[ref] == nil else { continue }
            let node = order.count
            order.append(alert)
            parent.append(node)
            byAlert[ref] = node
            for reference in alert.references {
                if let earlier = byAlert[AlertRef(origin: alert.origin, id: reference)] { union(earlier, node) }
            }
            guard alert.msgType != .cancel else { continue }
            for raw in rawIdentifiers(alert) {
                if let earlier = byIdentifier[raw] { union(earlier, node) } else { byIdentifier[raw] = node }
            }
        }
        return order.indices.map { index in
            ClusterAssignment(alertID: order[index].id, origin: order[index].origin,
                              incidentID: "naive-" + order[find(index)].origin + "/" + order[find(index)].id)
        }
    }

    /// Identifiers exactly as written, prefixed by kind.
    static func rawIdentifiers(_ alert: Ibm_V1_Alert) -> [String] {
        alert.subjects.flatMap { subject -> [String] in
            switch subject.kind {
            case let .vehicle(vehicle)?: ["plate:" + vehicle.plate]
            case let .person(person)?: ["document:" + person.document]
            case let .weapon(weapon)?: ["serial:" + weapon.serial]
            case let .vessel(vessel)?: ["mmsi:" + vessel.mmsi, "imo:" + vessel.imo]
            case let .consignment(consignment)?: ["consignment:" + consignment.reference]
            default: []
            }
        }.filter { !$0.hasSuffix(":") }
    }
}
