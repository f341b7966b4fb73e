import SwiftProtobuf

/// The JSON form of picture events and incidents, one object per line in `watch` and
/// `replay --records events`. Field names are the .proto names; enumerations use their
/// JSON spellings, times RFC 3339, and the alert inside an event the alert form of DESIGN.md §4.
public enum PictureJSON {
    public static func event(_ event: Ibm_V1_PictureEvent) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("seq", .number(event.seq)),
            ("kind", .string(event.kind.jsonName ?? "")),
        ]
        if event.hasRecordedAt { members.append(("recorded_at", .string(RFC3339.format(event.recordedAt)))) }
        if event.prevSeq > 0 { members.append(("prev_seq", .number(event.prevSeq))) }
        if !event.rule.isEmpty { members.append(("rule", .string(event.rule))) }
        if !event.matchedKey.isEmpty { members.append(("matched_key", .string(event.matchedKey))) }
        if let reason = event.closeReason.jsonName { members.append(("close_reason", .string(reason))) }
        if event.hasIdleAsOf { members.append(("idle_as_of", .string(RFC3339.format(event.idleAsOf)))) }
        if !event.mergedInto.isEmpty { members.append(("merged_into", .string(event.mergedInto))) }
        members.append(("incident", incident(event.incident)))
        if event.hasAlert { members.append(("alert", AlertJSON.jsonValue(event.alert))) }
        return .object(members)
    }

    /// A snapshot incident, shaped like an event so that a consumer reads one kind of line.
    public static func snapshotLine(_ incident: Ibm_V1_Incident) -> JSONValue {
        .object([
            ("seq", .number(incident.updatedSeq)),
            ("kind", .string("snapshot")),
            ("incident", self.incident(incident)),
        ])
    }

    public static func incident(_ incident: Ibm_V1_Incident) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(incident.id)),
            ("status", .string(incident.status.jsonName ?? "")),
        ]
        if incident.hasFirstSeen { members.append(("first_seen", .string(RFC3339.format(incident.firstSeen)))) }
        if incident.hasLastSeen { members.append(("last_seen", .string(RFC3339.format(incident.lastSeen)))) }
        members += [
            ("category", .string(incident.category.jsonName ?? "")),
            ("highest_severity", .string(incident.highestSeverity.jsonName ?? "")),
            ("corroboration", .number(incident.corroboration)),
            ("headline", .string(incident.headline)),
        ]
        if incident.hasLocation { members.append(("location", AlertJSON.jsonValue(incident.location))) }
        members += [
            ("opened_seq", .number(incident.openedSeq)),
            ("updated_seq", .number(incident.updatedSeq)),
            ("contributions", .array(incident.contributions.map(contribution))),
        ]
        return .object(members)
    }

    public static func contribution(_ contribution: Ibm_V1_Contribution) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("alert_id", .string(contribution.alertID)),
            ("origin", .string(contribution.origin)),
            ("seq", .number(contribution.seq)),
            ("rule", .string(contribution.rule)),
        ]
        if !contribution.matchedKey.isEmpty { members.append(("matched_key", .string(contribution.matchedKey))) }
        members += [
            ("cancelled", .bool(contribution.cancelled)),
            ("category", .string(contribution.category.jsonName ?? "")),
            ("severity", .string(contribution.severity.jsonName ?? "")),
        ]
        if contribution.hasObservedAt {
            members.append(("observed_at", .string(RFC3339.format(contribution.observedAt))))
        }
        members.append(("tlp", .string(contribution.tlp.jsonName ?? "")))
        if !contribution.recipients.isEmpty {
            members.append(("recipients", .array(contribution.recipients.map(JSONValue.string))))
        }
        members.append(("headline", .string(contribution.headline)))
        if contribution.hasLocation { members.append(("location", AlertJSON.jsonValue(contribution.location))) }
        if !contribution.supersededIds.isEmpty {
            members.append(("superseded_ids", .array(contribution.supersededIds.map(JSONValue.string))))
        }
        return .object(members)
    }
}
