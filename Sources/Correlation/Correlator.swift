import IBMProtocol
import SwiftProtobuf

/// What one alert did to the picture.
public struct CorrelationResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// It opened a new incident.
        case opened
        /// It joined an open incident (and may have merged others into it).
        case joined
        /// It changed its originator's own contribution (an update or a cancel), or was already held.
        case amended
    }

    public var outcome: Outcome
    /// The incident it opened, joined or amended; "" for a cancel of a report no longer held.
    public var incidentID: String
    /// The rule that placed it: "opened", an identifier kind ("plate", "document", …),
    /// "proximity", "update", "cancel", or "duplicate".
    public var rule: String
    /// The key behind the rule, e.g. `plate:123TN4567`, `document:LY/119935593536`, `proximity:LY-EG`.
    public var matchedKey: String
    /// The picture events to journal, in order, at seq+1, seq+2, …
    public var changes: [IncidentChange]

    public init(outcome: Outcome, incidentID: String, rule: String, matchedKey: String, changes: [IncidentChange]) {
        self.outcome = outcome
        self.incidentID = incidentID
        self.rule = rule
        self.matchedKey = matchedKey
        self.changes = changes
    }
}

/// One change of the shared picture, to become a `PictureEvent`.
public struct IncidentChange: Sendable {
    public var kind: Ibm_V1_EventKind
    /// The incident after the change; `updatedSeq` is the seq this change is journaled at.
    public var incident: Ibm_V1_Incident
    /// Why: the alert's rule for opened/updated; for closes "cancel", the rule that linked a
    /// merged incident, or "" for idle closes (no alert caused them).
    public var rule: String
    public var matchedKey: String
    /// `.unspecified` unless `kind` is `.closed`.
    public var closeReason: Ibm_V1_CloseReason
    /// For `.merged`: the incident that absorbed this one.
    public var mergedInto: String

    public init(kind: Ibm_V1_EventKind, incident: Ibm_V1_Incident, rule: String, matchedKey: String,
                closeReason: Ibm_V1_CloseReason, mergedInto: String) {
        self.kind = kind
        self.incident = incident
        self.rule = rule
        self.matchedKey = matchedKey
        self.closeReason = closeReason
        self.mergedInto = mergedInto
    }
}

/// The correlation engine: merges reports of one real-world event into one incident.
///
/// A value type with no I/O, no clock and no dependence on hash order: the same alerts (and
/// expiry calls) in the same order always give the same incidents, so the hub can rebuild it
/// by replaying its journal, or restore it from `serializedState()`.
public struct Correlator: Sendable {
    public let rules: CorrelationRules
    private let table: [CategoryRules]
    private var incidents: [UInt64: IncidentRecord] = [:]
    private var members: [UInt64: Member] = [:]
    private var byAlert: [AlertRef: UInt64] = [:]
    private var identifierIndex = IdentifierIndex()
    private var spatialIndex: SpatialTemporalIndex
    private var expiry = ExpiryHeap()

    public init(rules: CorrelationRules) {
        self.rules = rules
        // Rules by category raw value; unknown values fall back to the defaults.
        let maxRaw = Ibm_V1_Category.allCases.map(\.rawValue).max() ?? 0
        table = (0...maxRaw).map { raw in
            Ibm_V1_Category(rawValue: raw).map { rules.rules(for: $0) } ?? rules.defaults
        }
        spatialIndex = SpatialTemporalIndex(rules: rules)
    }

    // MARK: Queries

    public var openIncidentCount: Int { incidents.count }

    /// Open incidents by opened seq.
    public var openIncidents: [Ibm_V1_Incident] {
        incidents.keys.sorted().compactMap { incidents[$0]?.proto }
    }

    /// The incident holding the contribution of (origin, alertID), also by a superseded or cancel id.
    public func incidentID(origin: String, alertID: String) -> String? {
        guard let seq = byAlert[AlertRef(origin: origin, id: alertID)], let member = members[seq] else { return nil }
        return IncidentID.make(member.incident)
    }

    // MARK: Applying alerts

    /// Correlates one accepted alert. `seq` is the journal seq of its record; the returned
    /// changes are to be journaled at seq+1, seq+2, … and carry those seqs already.
    public mutating func apply(_ alert: Ibm_V1_Alert, seq: UInt64) -> CorrelationResult {
        let ref = AlertRef(origin: alert.origin, id: alert.id)
        if let held = byAlert[ref], let member = members[held] {
            // The hub drops resends before this; answering idempotently keeps a replay safe anyway.
            return CorrelationResult(outcome: .amended, incidentID: IncidentID.make(member.incident), rule: "duplicate",
                                     matchedKey: "alert:" + alert.id, changes: [])
        }
        switch alert.msgType {
        case .cancel: return cancel(alert, seq: seq)
        case .update: return update(alert, seq: seq)
        default: return correlate(alert, seq: seq, superseded: [])
        }
    }

    /// Closes (reason idle) the incidents whose last live report was observed before
    /// `asOf` minus their idle time, oldest deadline first. `firstSeq` is the seq of the first change.
    public mutating func expire(asOf unixMilliseconds: Int64, firstSeq: UInt64) -> [IncidentChange] {
        var pending: [Pending] = []
        while let top = expiry.top, top.deadline < unixMilliseconds {
            _ = expiry.pop()
            guard let record = incidents[top.incident], record.deadline == top.deadline else { continue }
            pending.append(.closed(close(top.incident), reason: .idle, rule: "", key: "", mergedInto: ""))
        }
        return finalize(pending, firstSeq: firstSeq)
    }

    // MARK: New alerts

    private mutating func correlate(_ alert: Ibm_V1_Alert, seq: UInt64, superseded: [String]) -> CorrelationResult {
        var member = Member(incident: seq, alert: alert, keys: AlertKeys.extract(alert))
        member.aliases = superseded.filter { $0 != alert.id && byAlert[AlertRef(origin: alert.origin, id: $0)] == nil }
        var contribution = Self.contribution(alert, seq: seq)
        contribution.supersededIds = superseded

        let matches = candidates(for: member, sector: alert.location.sector, excluding: [])
        guard let best = matches.first else {
            let evicted = evictForRoom()
            contribution.rule = "opened"
            var proto = Ibm_V1_Incident()
            proto.id = IncidentID.make(seq)
            proto.status = .open
            proto.contributions = [contribution]
            var record = IncidentRecord(proto: proto, members: [], deadline: 0)
            record.refresh(rules: rules)
            incidents[seq] = record
            insertMember(member, seq: seq)
            pushDeadline(seq)
            let changes = finalize([.live(seq, kind: .opened, rule: "opened", key: "")] + evicted, firstSeq: seq + 1)
            return CorrelationResult(outcome: .opened, incidentID: IncidentID.make(seq), rule: "opened", matchedKey: "", changes: changes)
        }

        let survivor = best.incident
        var pending: [Pending] = [.live(survivor, kind: .updated, rule: best.rule, key: best.key)]
        var size = (incidents[survivor]?.proto.contributions.count ?? 0) + 1
        for match in matches.dropFirst() {
            // A merge that would overfill the survivor is left undone: both stay open.
            let added = incidents[match.incident]?.proto.contributions.count ?? 0
            guard size + added <= rules.maxContributions else { continue }
            size += added
            pending.append(.closed(absorb(match.incident, into: survivor), reason: .merged, rule: match.rule, key: match.key,
                                   mergedInto: IncidentID.make(survivor)))
        }
        contribution.rule = best.rule
        contribution.matchedKey = best.key
        member.incident = survivor
        incidents[survivor]?.proto.contributions.append(contribution)
        insertMember(member, seq: seq)
        refresh(survivor)
        return CorrelationResult(outcome: .joined, incidentID: IncidentID.make(survivor), rule: best.rule, matchedKey: best.key,
                                 changes: finalize(pending, firstSeq: seq + 1))
    }

    // MARK: Updates and cancels

    /// Replaces the originator's referenced contribution(s) with this one; its new
    /// identifiers may join further incidents. Not held any more: correlated like a new alert.
    private mutating func update(_ alert: Ibm_V1_Alert, seq: UInt64) -> CorrelationResult {
        let references = Self.unique(alert.references)
        var held: [UInt64] = []
        for reference in references {
            if let memberSeq = byAlert[AlertRef(origin: alert.origin, id: reference)], members[memberSeq] != nil,
               !held.contains(memberSeq) {
                held.append(memberSeq)
            }
        }
        guard let primarySeq = held.first, let primary = members[primarySeq],
              let primaryRecord = incidents[primary.incident],
              let slot = primaryRecord.members.firstIndex(of: primarySeq)
        else {
            return correlate(alert, seq: seq, superseded: references)
        }

        let template = primaryRecord.proto.contributions[slot]
        var contribution = Self.contribution(alert, seq: seq)
        contribution.rule = template.rule
        contribution.matchedKey = template.matchedKey
        var superseded: [String] = []
        var aliases: [String] = []
        var involved: [UInt64] = []
        for memberSeq in held {
            guard let old = members[memberSeq] else { continue }
            if !involved.contains(old.incident) { involved.append(old.incident) }
            let oldContribution = incidents[old.incident].flatMap { record in
                record.members.firstIndex(of: memberSeq).map { record.proto.contributions[$0] }
            }
            for id in (oldContribution?.supersededIds ?? []) + [old.alertID] where !superseded.contains(id) {
                superseded.append(id)
            }
            aliases += old.aliases + [old.alertID]
            removeMember(memberSeq, keepContributionSlot: memberSeq == primarySeq)
        }
        for reference in references where !superseded.contains(reference) {
            superseded.append(reference)
            aliases.append(reference)
        }
        contribution.supersededIds = superseded

        var member = Member(incident: primary.incident, alert: alert, keys: AlertKeys.extract(alert))
        member.aliases = Self.unique(aliases.filter { $0 != alert.id })
        if var record = incidents[primary.incident], let index = record.members.firstIndex(of: primarySeq) {
            record.members[index] = seq
            record.proto.contributions[index] = contribution
            incidents[primary.incident] = record
        }
        insertMember(member, seq: seq, addToRecord: false)

        let rule = "update"
        let key = "supersedes:" + superseded.joined(separator: ",")
        var size = involved.reduce(0) { $0 + (incidents[$1]?.proto.contributions.count ?? 0) }
        let matches = candidates(for: member, sector: alert.location.sector, excluding: Set(involved)).filter { match in
            // The incidents the update already spans merge; others only while they fit.
            let added = incidents[match.incident]?.proto.contributions.count ?? 0
            guard size + added <= rules.maxContributions else { return false }
            size += added
            return true
        }
        var reasons: [UInt64: (rule: String, key: String)] = [:]
        for incident in involved { reasons[incident] = (rule, key) }
        for match in matches { reasons[match.incident] = (match.rule, match.key) }
        let all = (involved + matches.map(\.incident)).sorted()
        let survivor = all[0]
        var pending: [Pending] = [.live(survivor, kind: .updated, rule: rule, key: key)]
        for incident in all.dropFirst() {
            let reason = reasons[incident] ?? (rule, key)
            pending.append(.closed(absorb(incident, into: survivor), reason: .merged, rule: reason.rule, key: reason.key,
                                   mergedInto: IncidentID.make(survivor)))
        }
        refresh(survivor)
        return CorrelationResult(outcome: .amended, incidentID: IncidentID.make(survivor), rule: rule, matchedKey: key,
                                 changes: finalize(pending, firstSeq: seq + 1))
    }

    /// Marks the referenced contribution(s) cancelled; an incident left with no live
    /// contribution closes (reason cancelled).
    private mutating func cancel(_ alert: Ibm_V1_Alert, seq: UInt64) -> CorrelationResult {
        let references = Self.unique(alert.references)
        let key = "cancels:" + references.joined(separator: ",")
        var affected: [UInt64] = []
        var firstIncident: UInt64?
        var firstMember: UInt64?
        for reference in references {
            guard let memberSeq = byAlert[AlertRef(origin: alert.origin, id: reference)], var member = members[memberSeq] else {
                continue
            }
            if firstIncident == nil {
                firstIncident = member.incident
                firstMember = memberSeq
            }
            guard member.live else { continue }
            identifierIndex.remove(memberSeq, keys: member.keys)
            spatialIndex.remove(memberSeq, member: member)
            member.live = false
            members[memberSeq] = member
            if var record = incidents[member.incident], let index = record.members.firstIndex(of: memberSeq) {
                record.proto.contributions[index].cancelled = true
                incidents[member.incident] = record
            }
            if !affected.contains(member.incident) { affected.append(member.incident) }
        }
        guard let firstIncident, let firstMember else {
            return CorrelationResult(outcome: .amended, incidentID: "", rule: "cancel", matchedKey: key, changes: [])
        }
        // The cancel's own id resolves to what it cancelled, for later lookups.
        byAlert[AlertRef(origin: alert.origin, id: alert.id)] = firstMember
        members[firstMember]?.aliases.append(alert.id)

        var pending: [Pending] = []
        for incident in affected {
            guard let record = incidents[incident] else { continue }
            if record.allCancelled {
                pending.append(.closed(close(incident), reason: .cancelled, rule: "cancel", key: key, mergedInto: ""))
            } else {
                refresh(incident)
                pending.append(.live(incident, kind: .updated, rule: "cancel", key: key))
            }
        }
        return CorrelationResult(outcome: .amended, incidentID: IncidentID.make(firstIncident), rule: "cancel", matchedKey: key,
                                 changes: finalize(pending, firstSeq: seq + 1))
    }

    // MARK: Matching

    private struct Match {
        var incident: UInt64
        /// Lower is better: identifier matches in the alert's subject order, then proximity;
        /// ties by the seq of the matched member. Never depends on posting order.
        var rank: (Int, UInt64)
        var rule: String
        var key: String
    }

    /// The open incidents this report joins, best match per incident, by incident number.
    /// A full incident (`maxContributions`) is no candidate.
    private func candidates(for query: Member, sector: String, excluding: Set<UInt64>) -> [Match] {
        var best: [UInt64: Match] = [:]
        func consider(_ match: Match) {
            if let current = best[match.incident], current.rank <= match.rank { return }
            guard let record = incidents[match.incident], record.proto.contributions.count < rules.maxContributions else { return }
            best[match.incident] = match
        }
        let skew = rules.clockSkewMilliseconds
        let queryRules = rules(query.category)

        for (position, key) in query.keys.enumerated() {
            guard let queryRule = queryRules.identifiers[key.kind] else { continue }
            for memberSeq in identifierIndex.members(key) {
                guard let member = members[memberSeq], member.live, !excluding.contains(member.incident),
                      let other = member.keys.first(where: { $0.kind == key.kind && $0.value == key.value }),
                      key.compatible(with: other),
                      let memberRule = rules(member.category).identifiers[key.kind]
                else { continue }
                let rule = queryRule.combined(with: memberRule)
                guard Self.within(query.observedMs, member.observedMs, rule.windowMilliseconds + skew) else { continue }
                if let maxKm = rule.maxKm, query.located, member.located,
                   Geo.distanceKm(lat1: query.lat, lon1: query.lon, lat2: member.lat, lon2: member.lon) > maxKm {
                    continue
                }
                consider(Match(incident: member.incident, rank: (position, memberSeq), rule: key.kind.rawValue,
                               key: key.display(with: other)))
            }
        }

        if query.located, let proximity = queryRules.proximity {
            for memberSeq in spatialIndex.nearby(category: query.category, lat: query.lat, lon: query.lon,
                                                 observedMs: query.observedMs) {
                guard let member = members[memberSeq], member.live, member.category == query.category,
                      !excluding.contains(member.incident),
                      Self.within(query.observedMs, member.observedMs, proximity.windowMilliseconds + skew)
                else { continue }
                let distance = Geo.distanceKm(lat1: query.lat, lon1: query.lon, lat2: member.lat, lon2: member.lon)
                guard distance <= proximity.maxKm, !AlertKeys.conflicting(query.keys, member.keys) else { continue }
                let place = sector.isEmpty ? String(Int((distance * 10).rounded())) + "00m" : sector
                consider(Match(incident: member.incident, rank: (Int.max, memberSeq), rule: "proximity", key: "proximity:" + place))
            }
        }
        return best.keys.sorted().compactMap { best[$0] }
    }

    private func rules(_ category: Ibm_V1_Category) -> CategoryRules {
        category.rawValue >= 0 && category.rawValue < table.count ? table[category.rawValue] : rules.defaults
    }

    private static func within(_ a: Int64, _ b: Int64, _ window: Int64) -> Bool {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return !overflow && difference.magnitude <= UInt64(max(0, window))
    }

    // MARK: State changes

    private enum Pending {
        case live(UInt64, kind: Ibm_V1_EventKind, rule: String, key: String)
        case closed(Ibm_V1_Incident, reason: Ibm_V1_CloseReason, rule: String, key: String, mergedInto: String)
    }

    /// Numbers the changes from `firstSeq` and stamps updatedSeq (and openedSeq) on them.
    private mutating func finalize(_ pending: [Pending], firstSeq: UInt64) -> [IncidentChange] {
        var changes: [IncidentChange] = []
        for (offset, change) in pending.enumerated() {
            let seq = firstSeq + UInt64(offset)
            switch change {
            case let .live(number, kind, rule, key):
                // Mutated in place: a copy taken out of the dictionary would copy the incident's storage.
                guard let index = incidents.index(forKey: number) else { continue }
                incidents.values[index].proto.updatedSeq = seq
                if kind == .opened { incidents.values[index].proto.openedSeq = seq }
                changes.append(IncidentChange(kind: kind, incident: incidents.values[index].proto, rule: rule, matchedKey: key,
                                              closeReason: .unspecified, mergedInto: ""))
            case .closed(var incident, let reason, let rule, let key, let mergedInto):
                incident.updatedSeq = seq
                changes.append(IncidentChange(kind: .closed, incident: incident, rule: rule, matchedKey: key,
                                              closeReason: reason, mergedInto: mergedInto))
            }
        }
        return changes
    }

    /// Closes the incident nearest its idle close while one more would exceed the bound.
    private mutating func evictForRoom() -> [Pending] {
        var pending: [Pending] = []
        while incidents.count >= rules.maxOpenIncidents, let top = expiry.pop() {
            guard let record = incidents[top.incident], record.deadline == top.deadline else { continue }
            pending.append(.closed(close(top.incident), reason: .idle, rule: "", key: "", mergedInto: ""))
        }
        return pending
    }

    /// Removes an incident and all its members and index entries; returns its closed form.
    private mutating func close(_ number: UInt64) -> Ibm_V1_Incident {
        guard let record = incidents.removeValue(forKey: number) else { return Ibm_V1_Incident() }
        for memberSeq in record.members { forget(memberSeq) }
        var proto = record.proto
        proto.status = .closed
        return proto
    }

    /// Moves every member of `number` into `survivor`; returns the absorbed incident's closed form.
    private mutating func absorb(_ number: UInt64, into survivor: UInt64) -> Ibm_V1_Incident {
        guard number != survivor, let record = incidents.removeValue(forKey: number),
              let target = incidents.index(forKey: survivor) else {
            return Ibm_V1_Incident()
        }
        for memberSeq in record.members { members[memberSeq]?.incident = survivor }
        incidents.values[target].members += record.members
        incidents.values[target].proto.contributions += record.proto.contributions
        var proto = record.proto
        proto.status = .closed
        return proto
    }

    private mutating func refresh(_ number: UInt64) {
        guard let index = incidents.index(forKey: number) else { return }
        let before = incidents.values[index].deadline
        incidents.values[index].refresh(rules: rules)
        if incidents.values[index].deadline != before { pushDeadline(number) }
    }

    private mutating func pushDeadline(_ number: UInt64) {
        guard let record = incidents[number] else { return }
        expiry.push(.init(deadline: record.deadline, incident: number))
        // Stale entries pile up as deadlines move; rebuild before they outweigh the live ones.
        if expiry.count > 2 * incidents.count + 1024 {
            expiry.rebuild(incidents.map { .init(deadline: $0.value.deadline, incident: $0.key) })
        }
    }

    private mutating func insertMember(_ member: Member, seq: UInt64, addToRecord: Bool = true) {
        members[seq] = member
        byAlert[AlertRef(origin: member.origin, id: member.alertID)] = seq
        for alias in member.aliases { byAlert[AlertRef(origin: member.origin, id: alias)] = seq }
        if member.live {
            identifierIndex.insert(seq, keys: member.keys)
            spatialIndex.insert(seq, member: member)
        }
        if addToRecord { incidents[member.incident]?.members.append(seq) }
    }

    /// Drops a member from the indexes and lookups (not from its incident's record).
    private mutating func forget(_ seq: UInt64) {
        guard let member = members.removeValue(forKey: seq) else { return }
        if member.live {
            identifierIndex.remove(seq, keys: member.keys)
            spatialIndex.remove(seq, member: member)
        }
        for id in [member.alertID] + member.aliases {
            let ref = AlertRef(origin: member.origin, id: id)
            if byAlert[ref] == seq { byAlert[ref] = nil }
        }
    }

    /// Removes a superseded member; its contribution slot stays when an update takes it over.
    private mutating func removeMember(_ seq: UInt64, keepContributionSlot: Bool) {
        guard let member = members[seq] else { return }
        forget(seq)
        guard !keepContributionSlot, var record = incidents[member.incident],
              let index = record.members.firstIndex(of: seq) else { return }
        record.members.remove(at: index)
        record.proto.contributions.remove(at: index)
        incidents[member.incident] = record
    }

    private static func contribution(_ alert: Ibm_V1_Alert, seq: UInt64) -> Ibm_V1_Contribution {
        var contribution = Ibm_V1_Contribution()
        contribution.alertID = alert.id
        contribution.origin = alert.origin
        contribution.severity = alert.severity
        contribution.category = alert.category
        contribution.observedAt = alert.observedAt
        contribution.tlp = alert.tlp
        contribution.recipients = alert.recipients
        contribution.headline = alert.headline
        if alert.hasLocation { contribution.location = alert.location }
        contribution.seq = seq
        return contribution
    }

    private static func unique(_ ids: [String]) -> [String] {
        var seen: Set<String> = []
        return ids.filter { seen.insert($0).inserted }
    }

    // MARK: Serialized state

    /// Everything held, for the hub's checkpoints; `init(rules:restoring:)` reads it back.
    public func serializedState() -> [UInt8] {
        var records: [StateCodec.IncidentState] = []
        for number in incidents.keys.sorted() {
            guard let record = incidents[number] else { continue }
            let extras = record.members.map { seq in
                members[seq].map { StateCodec.MemberExtras(keys: $0.keys, aliases: $0.aliases) }
                    ?? StateCodec.MemberExtras(keys: [], aliases: [])
            }
            records.append(StateCodec.IncidentState(number: number, proto: record.proto, members: extras))
        }
        return StateCodec.encode(records)
    }

    /// An engine holding exactly the incidents of a `serializedState()`.
    public init(rules: CorrelationRules, restoring state: [UInt8]) throws(CorrelationStateError) {
        try self.init(rules: rules, restoring: CorrelatorState(decoding: state))
    }

    /// An engine holding exactly the incidents of a decoded `serializedState()`.
    public init(rules: CorrelationRules, restoring state: CorrelatorState) throws(CorrelationStateError) {
        self.init(rules: rules)
        // Sized once: growing tables of ~10^5 entries step by step rehashes them many times.
        incidents.reserveCapacity(state.incidentCount)
        members.reserveCapacity(state.memberCount)
        byAlert.reserveCapacity(state.memberCount + state.aliasCount)
        identifierIndex.reserveCapacity(state.keyCount)
        var deadlines: [ExpiryHeap.Entry] = []
        deadlines.reserveCapacity(state.incidentCount)
        for record in state.incidents {
            guard incidents[record.number] == nil, record.proto.contributions.count == record.members.count,
                  !record.proto.contributions.isEmpty
            else { throw CorrelationStateError.inconsistent("incident \(record.proto.id) is listed twice or has no contributions") }
            var numbers: [UInt64] = []
            numbers.reserveCapacity(record.members.count)
            for (contribution, extras) in zip(record.proto.contributions, record.members) {
                guard members[contribution.seq] == nil else {
                    throw CorrelationStateError.inconsistent("contribution seq \(contribution.seq) is held twice")
                }
                let member = Member(incident: record.number, contribution: contribution, keys: extras.keys, aliases: extras.aliases)
                insertMember(member, seq: contribution.seq, addToRecord: false)
                numbers.append(contribution.seq)
            }
            // Derived fields were saved refreshed: summarising again would cost a tenth of the
            // restore and copy every incident's storage. The deadline follows today's rules.
            var incident = IncidentRecord(proto: record.proto, members: numbers, deadline: 0)
            incident.updateDeadline(rules: rules)
            incidents[record.number] = incident
            deadlines.append(.init(deadline: incident.deadline, incident: record.number))
        }
        expiry.rebuild(deadlines)
    }
}
