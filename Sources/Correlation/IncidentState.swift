import IBMProtocol
import SwiftProtobuf

/// One live or cancelled report held in memory, keyed by the journal seq of its alert
/// record. Its picture form is the matching `Ibm_V1_Contribution` of its incident.
struct Member: Sendable, Equatable {
    /// Number (opening alert seq) of the incident that holds it.
    var incident: UInt64
    var origin: String
    var alertID: String
    var observedMs: Int64
    var category: Ibm_V1_Category
    var lat: Double
    var lon: Double
    var located: Bool
    var keys: [IdentifierKey]
    /// False once cancelled: it then joins nothing and counts for nothing.
    var live: Bool
    /// Other ids of the same origin that resolve to it: ids it superseded, and cancels of it.
    var aliases: [String]

    init(incident: UInt64, alert: Ibm_V1_Alert, keys: [IdentifierKey]) {
        self.incident = incident
        origin = alert.origin
        alertID = alert.id
        observedMs = alert.observedAt.unixMilliseconds
        category = alert.category
        let location = alert.location
        located = alert.hasLocation && Member.valid(lat: location.lat, lon: location.lon)
        lat = located ? location.lat : 0
        lon = located ? location.lon : 0
        self.keys = keys
        live = true
        aliases = []
    }

    init(incident: UInt64, contribution: Ibm_V1_Contribution, keys: [IdentifierKey], aliases: [String]) {
        self.incident = incident
        origin = contribution.origin
        alertID = contribution.alertID
        observedMs = contribution.observedAt.unixMilliseconds
        category = contribution.category
        let location = contribution.location
        located = contribution.hasLocation && Member.valid(lat: location.lat, lon: location.lon)
        lat = located ? location.lat : 0
        lon = located ? location.lon : 0
        self.keys = keys
        live = !contribution.cancelled
        self.aliases = aliases
    }

    static func valid(lat: Double, lon: Double) -> Bool {
        lat.isFinite && lon.isFinite && abs(lat) <= 90 && abs(lon) <= 180
    }
}

/// An open incident: its picture form plus the seqs of its members, in contribution order.
struct IncidentRecord: Sendable {
    var proto: Ibm_V1_Incident
    var members: [UInt64]
    /// lastSeen + idle time of its category, in ms: it closes when expiry passes this.
    var deadline: Int64

    /// Recomputes the derived fields of DESIGN §5 from the contributions.
    mutating func refresh(rules: CorrelationRules) {
        guard proto.summarizeContributions() else { return }
        updateDeadline(rules: rules)
    }

    /// Sets `deadline` from the derived fields as they are (a restored incident was saved refreshed).
    mutating func updateDeadline(rules: CorrelationRules) {
        let lastSeen = proto.lastSeen.unixMilliseconds
        let (sum, overflow) = lastSeen.addingReportingOverflow(rules.rules(for: proto.category).idleMilliseconds)
        deadline = overflow ? Int64.max : sum
    }

    var allCancelled: Bool { proto.contributions.allSatisfy(\.cancelled) }
}

extension Ibm_V1_Incident {
    /// Derives category, headline, first/last seen, highest severity, corroboration and
    /// location from `contributions` alone (DESIGN §5), so a view that keeps some of them
    /// shows nothing of the others. False (and nothing changed) when there are none.
    @discardableResult
    public mutating func summarizeContributions() -> Bool {
        guard let first = contributions.first else { return false }
        category = first.category
        headline = first.headline
        let live = contributions.filter { !$0.cancelled }
        let counted = live.isEmpty ? contributions : live
        var firstSeen = Int64.max, lastSeen = Int64.min
        var severity = Ibm_V1_Severity.unspecified
        var origins: Set<String> = []
        var latest = counted[0]
        for contribution in counted {
            let observed = contribution.observedAt.unixMilliseconds
            firstSeen = min(firstSeen, observed)
            lastSeen = max(lastSeen, observed)
            if contribution.severity.rawValue > severity.rawValue { severity = contribution.severity }
            origins.insert(contribution.origin)
            if contribution.seq > latest.seq { latest = contribution }
        }
        self.firstSeen = Google_Protobuf_Timestamp(unixMilliseconds: firstSeen)
        self.lastSeen = Google_Protobuf_Timestamp(unixMilliseconds: lastSeen)
        highestSeverity = live.isEmpty ? .unspecified : severity
        corroboration = live.isEmpty ? 0 : UInt32(origins.count)
        if latest.hasLocation { location = latest.location }
        return true
    }
}

/// Incident ids: `inc-` and the 10-digit seq of the alert record that opened it.
enum IncidentID {
    static func make(_ number: UInt64) -> String {
        let digits = String(number)
        return "inc-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }
}

/// (origin, alert id): alert ids are unique per origin only.
struct AlertRef: Hashable, Sendable {
    var origin: String
    var id: String
}
