import Correlation
import Foundation
import IBMProtocol
import Journal
import Logging
import SwiftProtobuf
import Synchronization
import ZeroMQ

/// Flags shared between the hub's threads and its HTTP health check.
final class HubStatus: Sendable {
    struct State: Sendable {
        var socketsBound = false
        var journalWritable = true
        var lastFailure: String?
        var stopRequested = false
    }

    let state = Mutex(State())

    var stopRequested: Bool { state.withLock { $0.stopRequested } }
}

/// An alert accepted but not yet committed.
private struct PendingAlert {
    var seq: UInt64
    var incidentID: String
}

/// A reply that may be sent once the journal holds everything through `durableAt`.
private struct PendingReply {
    var envelope: [[UInt8]]
    var reply: Ibm_V1_IngestReply
    var durableAt: UInt64
}

/// An event journaled but not yet published.
private struct PendingEvent {
    var event: Ibm_V1_PictureEvent
    /// The journaled bytes: `unchained` followed by the event's `prev_seq` field.
    var body: [UInt8]
    /// The event encoded without `prev_seq`: what a feed channel that may see all of it
    /// gets, before its own `prev_seq` is appended.
    var unchained: [UInt8]
}

/// The hub's core thread: ingest ROUTER, feed XPUB and the link to the journal writer.
///
/// Everything that changes the picture happens here, in one thread, so sequence
/// numbers, dedup and correlation need no locks. Acks and feed events leave only
/// after the writer reports the commit that holds them.
final class HubCore {
    private let configuration: HubConfiguration
    private let rules: CorrelationRules
    private let reader: JournalReader
    private let queue: CommitQueue
    private let picture: PublishedPicture
    private let metrics: HubMetrics
    private let status: HubStatus
    private let logger: Logger
    private let security: HubSecurity
    private let validator = AlertValidator()
    private var buckets: [String: TokenBucket] = [:]

    private var state: PictureState
    private var nextSeq: UInt64
    private var committedSeq: UInt64
    private var publishedEventSeq: UInt64
    private var epoch: UInt64 = 0
    private var lastCheckpointSeq: UInt64
    private var degradedUntil: Int64 = 0

    private var batch: [JournalRecord] = []
    private var pendingAlerts: [String: PendingAlert] = [:]
    private var pendingAlertOrder: [(seq: UInt64, key: String)] = []
    private var pendingAlertHead = 0
    private var replies: [PendingReply] = []
    private var replyHead = 0
    private var unpublished: [PendingEvent] = []
    private var unpublishedHead = 0

    /// Stop reading ingest while this many replies wait for a commit.
    private let maxPendingReplies = 200_000

    init(
        configuration: HubConfiguration, rules: CorrelationRules, reader: JournalReader, queue: CommitQueue,
        picture: PublishedPicture, metrics: HubMetrics, status: HubStatus, recovered: PictureState, security: HubSecurity,
        logger: Logger
    ) {
        self.security = security
        self.configuration = configuration
        self.rules = rules
        self.reader = reader
        self.queue = queue
        self.picture = picture
        self.metrics = metrics
        self.status = status
        self.logger = logger
        state = recovered
        nextSeq = recovered.journalSeq + 1
        committedSeq = recovered.journalSeq
        publishedEventSeq = recovered.lastEventSeq
        lastCheckpointSeq = recovered.checkpointSeq
        picture.reset(incidents: recovered.correlator.openIncidents, highSeq: recovered.journalSeq)
        metrics.openIncidents.set(Double(recovered.correlator.openIncidentCount))
        metrics.lastSeq.set(Double(recovered.journalSeq))
    }

    // MARK: Loop

    /// Runs until a stop is requested, then finishes the commits in flight.
    /// `rebindFeed` makes a new feed socket, for when a reload revoked a key.
    func run(ingest: Socket, feed: FeedPublisher, writer: Socket, rebindFeed: () throws -> Socket) throws {
        var poller = Poller()
        let ingestIndex = try poller.add(ingest)
        var feedIndex = try poller.add(feed.socket)
        let writerIndex = try poller.add(writer)
        var ingestPaused = false
        var nextHeartbeat = Self.now()
        var nextExpire = Self.now() + configuration.expireEveryMilliseconds
        var nextRetention = Self.now() + configuration.retentionEveryMilliseconds

        while !status.stopRequested {
            let result = try poller.poll(timeoutMilliseconds: 100)
            if result.isReadable(writerIndex) { try drainNotices(writer, feed: feed, ingest: ingest) }
            if result.isReadable(feedIndex) { try feed.handleSubscriptions() }
            if feed.revocationPending() {
                // libzmq cannot drop one CURVE peer: a new socket makes every subscriber
                // handshake again through ZAP, which now refuses the revoked keys.
                let old = feed.socket
                try? old.set(.linger, 0)
                old.close()
                feed.replaceSocket(try rebindFeed())
                poller = Poller()
                _ = try poller.add(ingest)
                feedIndex = try poller.add(feed.socket)
                _ = try poller.add(writer)
                if ingestPaused { poller.setEvents([], at: ingestIndex) }
                logger.notice("feed socket rebound after a key was revoked; subscribers reconnect through ZAP")
            }
            if result.isReadable(ingestIndex) {
                try drainIngest(ingest)
                flushBatch(doorbell: writer)
            }
            let now = Self.now()
            if now >= nextHeartbeat {
                try feed.heartbeat(lastSeq: publishedEventSeq, now: now)
                metrics.journalBytes.set(Double(journalBytes()))
                nextHeartbeat = now + configuration.heartbeatMilliseconds
            }
            if now >= nextExpire {
                expireIdle(now: now)
                flushBatch(doorbell: writer)
                nextExpire = now + configuration.expireEveryMilliseconds
            }
            if now >= nextRetention {
                queue.requestRetention(retentionPolicy)
                ring(writer)
                nextRetention = now + configuration.retentionEveryMilliseconds
            }
            // Back-pressure: while too many replies wait on the disk, leave new
            // publishes in the sockets (and the senders' windows) instead of in memory.
            let shouldPause = replies.count - replyHead >= maxPendingReplies
            if shouldPause != ingestPaused {
                poller.setEvents(shouldPause ? [] : .pollIn, at: ingestIndex)
                ingestPaused = shouldPause
            }
        }
        try finish(writer: writer, feed: feed, ingest: ingest)
    }

    /// Graceful stop: wait for the commit in flight, ack it, checkpoint, stop the writer.
    private func finish(writer: Socket, feed: FeedPublisher, ingest: Socket) throws {
        let deadline = Self.now() + 30_000
        while committedSeq < nextSeq - 1, Self.now() < deadline {
            var poller = Poller()
            try poller.add(writer)
            if try poller.poll(timeoutMilliseconds: 100).isReadable(0) {
                try drainNotices(writer, feed: feed, ingest: ingest)
            }
        }
        if committedSeq == nextSeq - 1, committedSeq > lastCheckpointSeq {
            queue.enqueue(CommitBatch(epoch: epoch, records: [], checkpoint: CheckpointSnapshot(seq: committedSeq, state: state)))
        }
        queue.requestStop()
        ring(writer)
        logger.info("hub core stopped", metadata: ["journal.seq": "\(committedSeq)"])
    }

    /// Size of the database and its WAL, for `/metrics`.
    private func journalBytes() -> Int64 {
        var total: Int64 = 0
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(configuration.journalPath + suffix, &info) == 0 { total += Int64(info.st_size) }
        }
        return total
    }

    private var retentionPolicy: RetentionPolicy {
        var policy = configuration.retention
        if let age = policy.maxAgeMilliseconds {
            policy.maxAgeMilliseconds = max(age, configuration.dedupHorizonMilliseconds)
        }
        return policy
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    // MARK: Ingest

    private func drainIngest(_ ingest: Socket) throws {
        var budget = configuration.journal.maxBatchRecords / 2
        while budget > 0, let message = try ingest.receiveFrames(dontWait: true) {
            budget -= 1
            handle(message, now: Self.now(), ingest: ingest)
        }
    }

    private func handle(_ message: ReceivedFrames, now: Int64, ingest: Socket) {
        // [routing id][payload], or [routing id][empty][payload] from a REQ client.
        let frames = message.frames
        guard let routed = RoutedRequest(frames: frames) else {
            metrics.framesMalformed.increment()
            if frames.count >= 2, !frames[0].isEmpty {
                send(nack(alertID: "", .malformed, "expected one frame holding an IngestRequest, got \(frames.count - 1)"),
                     envelope: [frames[0]], on: ingest)
            }
            return
        }
        let envelope = routed.envelope
        let request: Ibm_V1_IngestRequest
        do {
            request = try RequestDecoding.ingestRequest(routed.payload)
        } catch {
            metrics.framesMalformed.increment()
            send(nack(alertID: "", .malformed, "not a valid IngestRequest: \(error)"), envelope: envelope, on: ingest)
            return
        }
        switch request.body {
        case let .publish(alert):
            publish(alert, identity: message.userId, envelope: envelope, now: now, ingest: ingest)
        case .heartbeat:
            var reply = Ibm_V1_IngestReply()
            var beat = Ibm_V1_Heartbeat()
            beat.lastSeq = committedSeq
            beat.sentAtUnixMs = now
            reply.heartbeat = beat
            send(reply, envelope: envelope, on: ingest)
        case nil:
            metrics.framesMalformed.increment()
            send(nack(alertID: "", .malformed, "IngestRequest has no body"), envelope: envelope, on: ingest)
        }
    }

    private func publish(_ received: Ibm_V1_Alert, identity: String?, envelope: [[UInt8]], now: Int64, ingest: Socket) {
        metrics.alertsReceived.increment()
        var alert = received
        let alertID = String(alert.id.prefix(validator.limits.maxIDBytes))
        func refuse(_ code: Ibm_V1_ErrorCode, _ reason: String, retryAfter: UInt32 = 0) {
            send(nack(alertID: alertID, code, reason, retryAfter: retryAfter), envelope: envelope, on: ingest)
        }
        if now < degradedUntil {
            refuse(.unavailable, "the journal cannot commit: \(status.state.withLock { $0.lastFailure ?? "" })", retryAfter: 1000)
            return
        }
        // Origin is never taken from the payload when the connection is authenticated.
        if let userID = identity, !userID.isEmpty {
            // Looked up on every message, so a key revoked by a reload is refused at once.
            guard let identity = security.identities.identity(forUserID: userID) else {
                metrics.refused("revoked_key")
                refuse(.forbidden, "the key of this connection is no longer admitted (revoked)")
                return
            }
            let limit = identity.publishRate ?? configuration.limits.publishRate
            // A reload that changed the limit starts a fresh bucket.
            var bucket = buckets[identity.name].flatMap { $0.limit == limit ? $0 : nil } ?? TokenBucket(limit, now: now)
            let wait = bucket.take(now: now)
            buckets[identity.name] = bucket
            if wait > 0 {
                metrics.refused("rate_limited")
                refuse(.rateLimited, "\(identity.name) is past its publish rate limit of \(Int(limit.perSecond))/s"
                       + " (burst \(Int(limit.burst))); resend after retry_after_ms", retryAfter: UInt32(clamping: wait))
                return
            }
            if !alert.origin.isEmpty, alert.origin != identity.name {
                metrics.refused("spoofed_origin")
                refuse(.forbidden, "origin \"\(alert.origin)\" does not match the authenticated identity \"\(identity.name)\"")
                return
            }
            if alert.category.jsonName != nil, !identity.mayPublish(alert.category) {
                metrics.refused("forbidden_category")
                refuse(.forbidden, "category: \(identity.name) (\(identity.role.rawValue)) may not publish category"
                       + " \"\(alert.category.jsonName ?? "")\"")
                return
            }
            // Assigned only when it differs: a write copies the decoded alert's storage.
            if alert.origin != identity.name { alert.origin = identity.name }
        } else if !configuration.insecure {
            refuse(.forbidden, "the connection is not authenticated")
            return
        }
        do {
            try validator.validate(alert)
        } catch {
            refuse(.invalid, error.description)
            return
        }
        let key = Self.key(origin: alert.origin, alertID: alert.id)
        if let original = duplicate(of: alert, key: key) {
            var ack = Ibm_V1_Ack()
            ack.alertID = alert.id
            ack.seq = original.seq
            ack.outcome = .duplicate
            ack.incidentID = original.incidentID
            var reply = Ibm_V1_IngestReply()
            reply.ack = ack
            enqueue(reply, envelope: envelope, durableAt: original.seq, ingest: ingest)
            return
        }
        for (position, reference) in alert.references.enumerated()
        where !knows(origin: alert.origin, alertID: reference) {
            refuse(.unknownReference,
                   "references[\(position)]: \"\(reference)\" is not an alert that \(alert.origin) has published")
            return
        }
        let seq = nextSeq
        let result = state.correlator.apply(alert, seq: seq)
        let alertRecord = batch.count
        var last = seq
        var firstEvent: [UInt8]?
        for change in result.changes {
            last += 1
            let unchained = appendEvent(change, seq: last, alert: alert, now: now, idleAsOf: nil)
            if firstEvent == nil { firstEvent = unchained }
        }
        // The first event already holds the alert's canonical encoding (field 4): journal
        // those bytes rather than encode the alert a second time.
        let body = firstEvent.flatMap { ProtobufWire.lengthDelimitedField(4, in: $0) }.map(Array.init)
            ?? ((try? alert.serializedBytes()) ?? [])  // proto3 without Any: encoding cannot fail
        batch.insert(JournalRecord(
            seq: seq, kind: .alert, recordedAt: now, observedAt: alert.observedAt.unixMilliseconds,
            origin: alert.origin, alertID: alert.id, category: alert.category.jsonName ?? "",
            incidentID: result.incidentID, msgType: alert.msgType.jsonName ?? "", sector: alert.location.sector,
            body: body, hash: []), at: alertRecord)
        nextSeq = last + 1
        state.dedup.insert(origin: alert.origin, alertID: alert.id)
        pendingAlerts[key] = PendingAlert(seq: seq, incidentID: result.incidentID)
        pendingAlertOrder.append((seq, key))

        var ack = Ibm_V1_Ack()
        ack.alertID = alert.id
        ack.seq = seq
        ack.outcome = result.outcome == .joined ? .correlated : .accepted
        ack.incidentID = result.incidentID
        var reply = Ibm_V1_IngestReply()
        reply.ack = ack
        enqueue(reply, envelope: envelope, durableAt: last, ingest: ingest)
    }

    private static func key(origin: String, alertID: String) -> String {
        origin + "\u{0}" + alertID
    }

    /// The original of an exact resend, if the hub has it (pending or journaled).
    private func duplicate(of alert: Ibm_V1_Alert, key: String) -> PendingAlert? {
        if let pending = pendingAlerts[key] { return pending }
        guard state.dedup.mightContain(origin: alert.origin, alertID: alert.id) else { return nil }
        do {
            guard let record = try reader.lookupAlert(origin: alert.origin, alertID: alert.id) else { return nil }
            let incident = state.correlator.incidentID(origin: alert.origin, alertID: alert.id) ?? record.incidentID
            return PendingAlert(seq: record.seq, incidentID: incident)
        } catch {
            logger.error("dedup lookup failed", metadata: ["alert.id": "\(alert.id)", "error": "\(error)"])
            return nil
        }
    }

    private func knows(origin: String, alertID: String) -> Bool {
        let key = Self.key(origin: origin, alertID: alertID)
        if pendingAlerts[key] != nil || state.correlator.incidentID(origin: origin, alertID: alertID) != nil {
            return true
        }
        return (try? reader.lookupAlert(origin: origin, alertID: alertID)) != nil
    }

    /// Journals and queues one event; returns its encoding without `prev_seq`.
    @discardableResult
    private func appendEvent(_ change: IncidentChange, seq: UInt64, alert: Ibm_V1_Alert?, now: Int64, idleAsOf: Int64?)
        -> [UInt8]
    {
        var event = Ibm_V1_PictureEvent()
        event.seq = seq
        event.kind = change.kind
        event.incident = change.incident
        if let alert { event.alert = alert }
        event.rule = change.rule
        event.matchedKey = change.matchedKey
        event.closeReason = change.closeReason
        event.mergedInto = change.mergedInto
        event.recordedAt = Google_Protobuf_Timestamp(unixMilliseconds: now)
        if let idleAsOf { event.idleAsOf = Google_Protobuf_Timestamp(unixMilliseconds: idleAsOf) }
        // Encoded once without prev_seq, the bytes serve the journal (with prev_seq appended:
        // the last occurrence of a field wins) and every feed channel that sees the whole event.
        let unchained: [UInt8] = (try? event.serializedBytes()) ?? []
        event.prevSeq = state.lastEventSeq
        state.lastEventSeq = seq
        var body = unchained
        ProtobufWire.appendVarintField(10, event.prevSeq, to: &body)
        batch.append(JournalRecord(
            seq: seq, kind: .event, recordedAt: now,
            observedAt: alert?.observedAt.unixMilliseconds ?? now,
            origin: alert?.origin ?? "", alertID: alert?.id ?? "",
            category: change.incident.category.jsonName ?? "", incidentID: change.incident.id,
            msgType: change.kind.jsonName ?? "", sector: change.incident.location.sector,
            body: body, hash: []))
        unpublished.append(PendingEvent(event: event, body: body, unchained: unchained))
        return unchained
    }

    private func expireIdle(now: Int64) {
        guard now >= degradedUntil else { return }
        let changes = state.correlator.expire(asOf: now, firstSeq: nextSeq)
        for change in changes {
            appendEvent(change, seq: nextSeq, alert: nil, now: now, idleAsOf: now)
            nextSeq += 1
        }
        if !changes.isEmpty {
            logger.info("idle incidents closed", metadata: ["count": "\(changes.count)"])
        }
    }

    // MARK: Commit hand-off

    private func flushBatch(doorbell: Socket) {
        guard !batch.isEmpty else { return }
        var checkpoint: CheckpointSnapshot?
        let through = nextSeq - 1
        if through - lastCheckpointSeq >= configuration.journal.checkpointEvery {
            checkpoint = CheckpointSnapshot(seq: through, state: state)
            lastCheckpointSeq = through
        }
        queue.enqueue(CommitBatch(epoch: epoch, records: batch, checkpoint: checkpoint))
        batch.removeAll(keepingCapacity: true)
        ring(doorbell)
    }

    private func ring(_ doorbell: Socket) {
        do {
            _ = try doorbell.send([UInt8](), dontWait: true)
        } catch {
            logger.error("cannot wake the journal writer", metadata: ["error": "\(error)"])
        }
    }

    private func drainNotices(_ writer: Socket, feed: FeedPublisher, ingest: Socket) throws {
        while let bytes = try writer.receiveMultipart(dontWait: true) {
            guard let frame = bytes.first, let notice = CommitNotice(frame) else { continue }
            switch notice {
            case let .committed(noticeEpoch, through) where noticeEpoch == epoch:
                committed(through: through, feed: feed, ingest: ingest)
            case let .failed(noticeEpoch, diskFull, reason) where noticeEpoch == epoch:
                try failed(diskFull: diskFull, reason: reason, ingest: ingest)
            default:
                continue  // a notice about a batch discarded by an earlier reset
            }
        }
    }

    private func committed(through: UInt64, feed: FeedPublisher, ingest: Socket) {
        guard through > committedSeq else { return }
        committedSeq = through
        status.state.withLock {
            $0.journalWritable = true
            $0.lastFailure = nil
        }
        // Publish what the journal now holds, then release the acks. Each event is released
        // per identity against the incident as it was just before it.
        while unpublishedHead < unpublished.count, unpublished[unpublishedHead].event.seq <= through {
            let pending = unpublished[unpublishedHead]
            let previous = picture.apply(pending.event)
            do {
                try feed.publish(pending.event, body: pending.body, unchained: pending.unchained, previous: previous)
            } catch {
                logger.error("feed publish failed", metadata: ["journal.seq": "\(pending.event.seq)", "error": "\(error)"])
            }
            publishedEventSeq = pending.event.seq
            unpublishedHead += 1
        }
        compact(&unpublished, head: &unpublishedHead)
        picture.markCurrent(through: through)
        while replyHead < replies.count, replies[replyHead].durableAt <= through {
            let pending = replies[replyHead]
            count(pending.reply)
            send(pending.reply, envelope: pending.envelope, on: ingest)
            replyHead += 1
        }
        compact(&replies, head: &replyHead)
        while pendingAlertHead < pendingAlertOrder.count, pendingAlertOrder[pendingAlertHead].seq <= through {
            pendingAlerts[pendingAlertOrder[pendingAlertHead].key] = nil
            pendingAlertHead += 1
        }
        compact(&pendingAlertOrder, head: &pendingAlertHead)
        metrics.lastSeq.set(Double(through))
        metrics.openIncidents.set(Double(state.correlator.openIncidentCount))
    }

    /// A commit failed: nothing after `committedSeq` is durable. Refuse what waited on it,
    /// forget it, and rebuild the picture from the journal, which is the truth.
    private func failed(diskFull: Bool, reason: String, ingest: Socket) throws {
        metrics.commitFailures.increment()
        status.state.withLock {
            $0.journalWritable = false
            $0.lastFailure = reason
        }
        epoch += 1
        queue.discard(before: epoch)
        let retry: UInt32 = diskFull ? 5000 : 1000
        for pending in replies[replyHead...] {
            if pending.durableAt <= committedSeq {
                count(pending.reply)
                send(pending.reply, envelope: pending.envelope, on: ingest)
            } else {
                let alertID = pending.reply.ack.alertID
                send(nack(alertID: alertID, .unavailable, "the journal could not commit: \(reason)", retryAfter: retry),
                     envelope: pending.envelope, on: ingest)
            }
        }
        replies.removeAll()
        replyHead = 0
        unpublished.removeAll()
        unpublishedHead = 0
        pendingAlerts.removeAll()
        pendingAlertOrder.removeAll()
        pendingAlertHead = 0
        batch.removeAll()
        state = try PictureState.recover(from: reader, rules: rules, logger: logger)
        nextSeq = state.journalSeq + 1
        committedSeq = state.journalSeq
        lastCheckpointSeq = max(lastCheckpointSeq, state.checkpointSeq)
        degradedUntil = Self.now() + Int64(retry)
        logger.warning("picture rebuilt from the journal after a failed commit", metadata: [
            "journal.seq": "\(committedSeq)", "disk_full": "\(diskFull)",
        ])
    }

    private func compact<T>(_ array: inout [T], head: inout Int) {
        if head == array.count {
            array.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096, head * 2 > array.count {
            array.removeFirst(head)
            head = 0
        }
    }

    // MARK: Replies

    private func enqueue(_ reply: Ibm_V1_IngestReply, envelope: [[UInt8]], durableAt: UInt64, ingest: Socket) {
        if durableAt <= committedSeq, replyHead == replies.count {
            count(reply)
            send(reply, envelope: envelope, on: ingest)
        } else {
            replies.append(PendingReply(envelope: envelope, reply: reply, durableAt: max(durableAt, replies.last?.durableAt ?? 0)))
        }
    }

    private func count(_ reply: Ibm_V1_IngestReply) {
        guard case let .ack(ack) = reply.body else { return }
        switch ack.outcome {
        // Counted when the ack leaves: a reply still waiting on a commit that fails becomes a nack.
        case .accepted: metrics.alertsAccepted.increment()
        case .correlated: metrics.alertsCorrelated.increment()
        case .duplicate: metrics.alertsDuplicate.increment()
        default: break
        }
    }

    private func nack(alertID: String, _ code: Ibm_V1_ErrorCode, _ reason: String, retryAfter: UInt32 = 0) -> Ibm_V1_IngestReply {
        metrics.nacked(code.jsonName ?? "unspecified")
        var nack = Ibm_V1_Nack()
        nack.alertID = alertID
        nack.code = code
        nack.reason = reason
        nack.retryAfterMs = retryAfter
        var reply = Ibm_V1_IngestReply()
        reply.nack = nack
        return reply
    }

    private func send(_ reply: Ibm_V1_IngestReply, envelope: [[UInt8]], on ingest: Socket) {
        do {
            let body: [UInt8] = try reply.serializedBytes()
            // A peer past its HWM or gone loses the reply; it resends, and dedup answers again.
            _ = try ingest.sendMultipart(envelope + [body], dontWait: true)
        } catch {
            logger.warning("reply not sent", metadata: ["error": "\(error)"])
        }
    }
}
