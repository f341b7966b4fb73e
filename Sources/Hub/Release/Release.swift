import Correlation
import IBMProtocol

/// Need-to-know release by TLP 2.0 (DESIGN §7): what one identity may see of the picture.
///
/// One pure function decides it for the feed, sync snapshots and sync replays, so the
/// three can never disagree. A view keeps only the contributions released to the
/// audience and derives every summary field from those alone.
public enum Release {
    /// Who is looking: an authenticated identity's name and role.
    public struct Audience: Sendable, Hashable {
        public var name: String
        public var role: HubConfiguration.Identity.Role

        public init(name: String, role: HubConfiguration.Identity.Role) {
            self.name = name
            self.role = role
        }

        public init(_ identity: HubConfiguration.Identity) {
            self.init(name: identity.name, role: identity.role)
        }
    }

    /// Whether a report with this label, written by `origin`, is released to `audience`.
    ///
    /// clear, green: every member. amber: the named recipients and coordinators, or every
    /// member when no recipient is named. amber+strict: the named recipients and coordinators.
    /// red: the named recipients only. The origin always sees its own; an unknown label is red.
    public static func releases(tlp: Ibm_V1_Tlp, recipients: [String], origin: String, to audience: Audience) -> Bool {
        if origin == audience.name { return true }
        switch tlp {
        case .clear, .green:
            return true
        case .amber:
            return recipients.isEmpty || audience.role == .coordinator || recipients.contains(audience.name)
        case .amberStrict:
            return audience.role == .coordinator || recipients.contains(audience.name)
        case .red, .unspecified, .UNRECOGNIZED:
            return recipients.contains(audience.name)
        }
    }

    public static func releases(_ contribution: Ibm_V1_Contribution, to audience: Audience) -> Bool {
        releases(tlp: contribution.tlp, recipients: contribution.recipients, origin: contribution.origin, to: audience)
    }

    public static func releases(_ alert: Ibm_V1_Alert, to audience: Audience) -> Bool {
        releases(tlp: alert.tlp, recipients: alert.recipients, origin: alert.origin, to: audience)
    }

    /// The incident as `audience` may see it, or nil when no contribution is released to it.
    public static func view(of incident: Ibm_V1_Incident, for audience: Audience) -> Ibm_V1_Incident? {
        let released = incident.contributions.filter { releases($0, to: audience) }
        if released.isEmpty { return nil }
        if released.count == incident.contributions.count { return incident }
        var view = incident
        view.contributions = released
        // Summary fields a hidden contribution may have set are cleared, then derived again.
        view.clearLocation()
        view.summarizeContributions()
        return view
    }

    /// The event as `audience` may see it, or nil when it is to see nothing of it.
    ///
    /// `visibleBefore` says whether the audience could see the incident before this event:
    /// if it could and now sees nothing (a released report was replaced by a stricter one),
    /// it gets a `withdrawn` close that carries only the incident's id and seqs, so its copy
    /// of the picture drops the incident. The alert that caused the event, and the rule and
    /// key that placed it, are kept only when that alert itself is released to the audience.
    public static func view(of event: Ibm_V1_PictureEvent, for audience: Audience, visibleBefore: Bool)
        -> Ibm_V1_PictureEvent?
    {
        guard let incident = view(of: event.incident, for: audience) else {
            return visibleBefore ? withdrawal(of: event) : nil
        }
        var view = event
        view.incident = incident
        if event.hasAlert, !releases(event.alert, to: audience) {
            view.clearAlert()
            view.rule = ""
            view.matchedKey = ""
        }
        return view
    }

    /// A close that tells a subscriber the incident left its view, and nothing else.
    static func withdrawal(of event: Ibm_V1_PictureEvent) -> Ibm_V1_PictureEvent {
        var incident = Ibm_V1_Incident()
        incident.id = event.incident.id
        incident.status = .closed
        incident.openedSeq = event.incident.openedSeq
        incident.updatedSeq = event.incident.updatedSeq
        var withdrawal = Ibm_V1_PictureEvent()
        withdrawal.seq = event.seq
        withdrawal.kind = .closed
        withdrawal.incident = incident
        withdrawal.closeReason = .withdrawn
        withdrawal.recordedAt = event.recordedAt
        withdrawal.prevSeq = event.prevSeq
        return withdrawal
    }
}
