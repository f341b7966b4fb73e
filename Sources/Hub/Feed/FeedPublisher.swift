import IBMProtocol
import Logging
import SwiftProtobuf
import ZeroMQ

/// The feed's XPUB socket, on the core thread.
///
/// It runs in `ZMQ_XPUB_MANUAL` mode: a subscription request is only a request, and the
/// hub grants the one channel the subscriber's authenticated key may receive, whatever
/// prefix it asked for (DESIGN.md §7). In secure mode every identity has its own channel
/// `@<name>/`, carrying only what TLP releases to it (`Release`), with its own `prev_seq`
/// chain; in insecure mode there are no identities and the one channel `all/` carries
/// everything. Topics are `<channel>ev/<category>/<sector>` and `<channel>hb`.
final class FeedPublisher {
    static let openChannel = "all/"

    private(set) var socket: Socket
    private let security: HubSecurity
    private let metrics: HubMetrics
    private let logger: Logger
    /// Per identity: seq of the last event sent on its channel (its `prev_seq` chain).
    private var lastSent: [String: UInt64] = [:]
    /// Last event seq of any channel when the hub started: a channel that has sent nothing
    /// since names this, so a subscriber that missed events before a restart still sees the gap.
    private let baseline: UInt64
    private var lastRevocations: UInt64

    init(socket: Socket, security: HubSecurity, baseline: UInt64, metrics: HubMetrics, logger: Logger) {
        self.socket = socket
        self.security = security
        self.baseline = baseline
        self.metrics = metrics
        self.logger = logger
        lastRevocations = security.identities.revocations
    }

    static func channel(of identityName: String) -> String { "@" + identityName + "/" }

    /// The prefixes a subscriber with this ZAP user id is granted: its own channel, or nothing.
    func grants(forUserID userID: String?) -> [String] {
        if security.insecure { return [Self.openChannel] }
        guard let userID, let identity = security.identities.identity(forUserID: userID) else { return [] }
        return [Self.channel(of: identity.name)]
    }

    /// Reads every pending subscription request and answers it with grants.
    func handleSubscriptions() throws(ZMQError) {
        while let request = try socket.receiveFrames(dontWait: true) {
            guard let frame = request.frames.first, let action = frame.first else { continue }
            // 1 = subscribe, 0 = unsubscribe; a pipe's grants go when it closes.
            guard action == 1 else { continue }
            metrics.feedSubscriptions.increment()
            let grants = grants(forUserID: request.userId)
            for prefix in grants {
                try socket.subscribe(prefix)
            }
            logger.debug("feed subscription granted", metadata: [
                "peer": "\(request.peerAddress ?? "?")", "grants": "\(grants)",
            ])
        }
    }

    /// True once after a reload removed or changed a key: the caller then rebinds the socket.
    func revocationPending() -> Bool {
        let current = security.identities.revocations
        guard current != lastRevocations else { return false }
        lastRevocations = current
        return true
    }

    /// Replaces the socket (after a rebind); grants are asked for again by every subscriber.
    func replaceSocket(_ socket: Socket) {
        self.socket = socket
    }

    /// `ev/<category>/<sector>`: the part of an event's topic after the channel.
    static func topicTail(for event: Ibm_V1_PictureEvent) -> [UInt8] {
        let category = event.incident.category.jsonName ?? "other"
        let sector = event.incident.location.sector.isEmpty ? "-" : event.incident.location.sector
        return Array("ev/\(category)/\(sector)".utf8)
    }

    /// Publishes one committed event to every channel it is released to; `previous` is the
    /// incident as it was before the event (nil if it was not open). A subscriber past its
    /// HWM misses it and recovers through sync. `unchained` is `event` encoded without
    /// `prev_seq`, reused for every channel that may see all of the event.
    func publish(_ event: Ibm_V1_PictureEvent, body: [UInt8], unchained: [UInt8], previous: Ibm_V1_Incident?)
        throws(ZMQError)
    {
        if security.insecure {
            _ = try socket.sendMultipart([Array(Self.openChannel.utf8) + Self.topicTail(for: event), body], dontWait: true)
            metrics.feedEvents.increment()
            return
        }
        // Most identities see the same view: encode each distinct view once, then append the
        // channel's own prev_seq (field 10; the last occurrence of a field wins in protobuf).
        var encoded: [ViewKey: (topicTail: [UInt8], bytes: [UInt8])] = [:]
        for audience in security.identities.audiences {
            let key = ViewKey(event: event, previous: previous, audience: audience)
            if key.isEmpty { continue }
            let entry: (topicTail: [UInt8], bytes: [UInt8])
            if let known = encoded[key] {
                entry = known
            } else if key.isWhole(event) {
                entry = (Self.topicTail(for: event), unchained)
                encoded[key] = entry
            } else {
                // A view's summary (category, sector) comes from what it keeps, so its topic may differ.
                guard var view = Release.view(of: event, for: audience, visibleBefore: key.visibleBefore) else { continue }
                view.prevSeq = 0
                guard let bytes: [UInt8] = try? view.serializedBytes() else { continue }
                entry = (Self.topicTail(for: view), bytes)
                encoded[key] = entry
            }
            var bytes = entry.bytes
            ProtobufWire.appendVarintField(10, lastSent[audience.name] ?? baseline, to: &bytes)
            _ = try socket.sendMultipart([Array(Self.channel(of: audience.name).utf8) + entry.topicTail, bytes], dontWait: true)
            lastSent[audience.name] = event.seq
        }
        metrics.feedEvents.increment()
    }

    /// A heartbeat on every channel, naming the last event sent on it.
    func heartbeat(lastSeq: UInt64, now: Int64) throws(ZMQError) {
        var beat = Ibm_V1_Heartbeat()
        beat.sentAtUnixMs = now
        if security.insecure {
            beat.lastSeq = lastSeq
            let body: [UInt8] = (try? beat.serializedBytes()) ?? []
            _ = try socket.sendMultipart([Array("\(Self.openChannel)hb".utf8), body], dontWait: true)
            return
        }
        for audience in security.identities.audiences {
            beat.lastSeq = lastSent[audience.name] ?? baseline
            let body: [UInt8] = (try? beat.serializedBytes()) ?? []
            _ = try socket.sendMultipart([Array("\(Self.channel(of: audience.name))hb".utf8), body], dontWait: true)
        }
    }
}

/// Which parts of an event one audience may see; audiences with equal keys get equal views.
private struct ViewKey: Hashable {
    var contributions: [Bool]
    var alert: Bool
    var visibleBefore: Bool

    init(event: Ibm_V1_PictureEvent, previous: Ibm_V1_Incident?, audience: Release.Audience) {
        contributions = event.incident.contributions.map { Release.releases($0, to: audience) }
        alert = event.hasAlert && Release.releases(event.alert, to: audience)
        visibleBefore = previous?.contributions.contains { Release.releases($0, to: audience) } ?? false
    }

    /// The audience may see every contribution and the alert: its view is the event itself.
    func isWhole(_ event: Ibm_V1_PictureEvent) -> Bool {
        !contributions.isEmpty && !contributions.contains(false) && (alert || !event.hasAlert)
    }

    /// Nothing to send: nothing released now, and nothing was before.
    var isEmpty: Bool { !visibleBefore && !contributions.contains(true) }
}
