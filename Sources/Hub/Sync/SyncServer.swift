import Foundation
import IBMProtocol
import Journal
import Logging
import SwiftProtobuf
import ZeroMQ

/// The sync ROUTER, on its own thread with its own read connection to the journal.
///
/// Snapshots come from the published picture; replays stream journal records in
/// chunks, never more than the client's credit ahead, so a replay of millions of
/// records holds one chunk in memory and never blocks ingest.
///
/// In secure mode every request is served as its key's identity may see it (`Release`):
/// snapshots hold views of the incidents, replays leave out what is not released and
/// redact the rest; each identity has bounded concurrent streams and requests per minute.
final class SyncServer {
    private struct StreamKey: Hashable {
        var routingID: [UInt8]
        var requestID: UInt64
    }

    private enum Work {
        case replay(next: UInt64, through: UInt64, filter: RecordFilter)
        case snapshot(incidents: [Ibm_V1_Incident], position: Int, highSeq: UInt64)
    }

    private struct Stream {
        var envelope: [[UInt8]]
        var work: Work
        var credit: Int
        var sent: UInt64 = 0
        var lastActivity: Int64
        /// Who asked (nil in insecure mode): its ZAP User-Id and what it may see.
        var requester: Requester?
        /// Replay: whether each incident met so far is visible to the requester after the last record sent.
        var visible: [String: Bool] = [:]
    }

    private struct Requester {
        var userID: String
        var audience: Release.Audience
    }

    private let socket: Socket
    private let reader: JournalReader
    private let picture: PublishedPicture
    private let limits: HubConfiguration.Limits
    private let metrics: HubMetrics
    private let status: HubStatus
    private let logger: Logger
    private var streams: [StreamKey: Stream] = [:]
    private var order: [StreamKey] = []
    private let validator = SyncRequestValidator()
    private let security: HubSecurity
    /// Snapshot and replay requests per identity, per minute.
    private var requestBuckets: [String: TokenBucket] = [:]

    init(socket: Socket, reader: JournalReader, picture: PublishedPicture, limits: HubConfiguration.Limits,
         security: HubSecurity, metrics: HubMetrics, status: HubStatus, logger: Logger) {
        self.security = security
        self.socket = socket
        self.reader = reader
        self.picture = picture
        self.limits = limits
        self.metrics = metrics
        self.status = status
        self.logger = logger
    }

    func run() throws {
        var poller = Poller()
        try poller.add(socket)
        while !status.stopRequested {
            let busy = streams.values.contains { $0.credit > 0 }
            let result = try poller.poll(timeoutMilliseconds: busy ? 0 : 100)
            if result.isReadable(0) {
                var budget = 256
                while budget > 0, let message = try socket.receiveFrames(dontWait: true) {
                    budget -= 1
                    handle(message)
                }
            }
            try serveOneRound()
            dropIdleStreams()
        }
    }

    // MARK: Requests

    private func handle(_ message: ReceivedFrames) {
        guard let routed = RoutedRequest(frames: message.frames) else { return }
        let envelope = routed.envelope
        let request: Ibm_V1_SyncRequest
        let checked: CheckedSyncRequest
        do {
            request = try RequestDecoding.syncRequest(routed.payload)
        } catch {
            metrics.syncRequest("malformed")
            reply(error: .malformed, "not a valid SyncRequest: \(error)", requestID: 0, envelope: envelope)
            return
        }
        do {
            checked = try validator.check(request)
        } catch {
            metrics.syncRequest(error.code == .malformed ? "malformed" : "invalid")
            reply(error: error.code, error.reason, requestID: request.requestID, envelope: envelope)
            return
        }
        let key = StreamKey(routingID: envelope[0], requestID: request.requestID)
        let now = HubCore.now()
        var requester: Requester?
        if !security.insecure {
            // Looked up on every request, so a key revoked by a reload is refused at once.
            guard let userID = message.userId, let identity = security.identities.identity(forUserID: userID) else {
                metrics.refused("sync_forbidden")
                reply(error: .forbidden, "the key of this connection is not admitted (revoked)", requestID: request.requestID,
                      envelope: envelope)
                return
            }
            requester = Requester(userID: userID, audience: Release.Audience(identity))
        }
        switch checked {
        case let .snapshot(filter, credit):
            metrics.syncRequest("snapshot")
            guard admit(key, envelope: envelope, requester: requester, now: now) else { return }
            let (incidents, high) = picture.snapshot()
            // The filter sees only the view, or filtering by origin would reveal hidden reports.
            let viewed = requester.map { requester in
                incidents.compactMap { Release.view(of: $0, for: requester.audience) }
            } ?? incidents
            let filtered = viewed.filter { Self.matches($0, filter) }
            start(key, Stream(envelope: envelope, work: .snapshot(incidents: filtered, position: 0, highSeq: high),
                              credit: credit, lastActivity: now, requester: requester))
        case let .replay(replay):
            metrics.syncRequest("replay")
            guard admit(key, envelope: envelope, requester: requester, now: now) else { return }
            do {
                let work = try plan(replay)
                start(key, Stream(envelope: envelope, work: work, credit: replay.credit, lastActivity: now, requester: requester))
            } catch let failure as SyncFailure {
                reply(error: failure.code, failure.reason, requestID: request.requestID, envelope: envelope)
            } catch {
                reply(error: .unavailable, "journal: \(error)", requestID: request.requestID, envelope: envelope)
            }
        case let .credit(chunks):
            guard var stream = streams[key] else {
                reply(error: .unknownRequest, "no running request \(request.requestID)", requestID: request.requestID,
                      envelope: envelope)
                return
            }
            stream.credit = min(stream.credit + chunks, validator.maxCredit)
            stream.lastActivity = now
            streams[key] = stream
        case .cancel:
            finish(key)
        }
    }

    private struct SyncFailure: Error {
        var code: Ibm_V1_SyncErrorCode
        var reason: String
    }

    private func admit(_ key: StreamKey, envelope: [[UInt8]], requester: Requester?, now: Int64) -> Bool {
        if streams[key] != nil { finish(key) }
        guard streams.count < limits.maxSyncStreams else {
            reply(error: .unavailable, "too many sync requests in progress; retry later", requestID: key.requestID,
                  envelope: envelope, retryAfter: 1000)
            return false
        }
        guard let name = requester?.audience.name else { return true }
        let running = streams.values.count { $0.requester?.audience.name == name }
        if running >= limits.syncStreamsPerIdentity {
            metrics.refused("sync_rate_limited")
            reply(error: .rateLimited, "\(name) already runs \(running) sync streams, the limit per identity; retry after"
                  + " one ends", requestID: key.requestID, envelope: envelope, retryAfter: 1000)
            return false
        }
        let perMinute = Double(limits.syncRequestsPerMinute)
        let limit = HubConfiguration.RateLimit(perSecond: perMinute / 60, burst: perMinute)
        var bucket = requestBuckets[name] ?? TokenBucket(limit, now: now)
        let wait = bucket.take(now: now)
        requestBuckets[name] = bucket
        if wait > 0 {
            metrics.refused("sync_rate_limited")
            reply(error: .rateLimited, "\(name) is past its limit of \(limits.syncRequestsPerMinute) sync requests per"
                  + " minute; retry after retry_after_ms", requestID: key.requestID, envelope: envelope,
                  retryAfter: UInt32(clamping: wait))
            return false
        }
        return true
    }

    private func start(_ key: StreamKey, _ stream: Stream) {
        streams[key] = stream
        order.append(key)
    }

    private func finish(_ key: StreamKey) {
        streams[key] = nil
        order.removeAll { $0 == key }
    }

    private func plan(_ replay: CheckedReplay) throws -> Work {
        let high = try reader.highSeq()
        let low = try reader.lowSeq()
        var filter = RecordFilter()
        filter.kinds = replay.includeAlerts ? nil : [.event]
        filter.categories = replay.filter.categories.compactMap(\.jsonName)
        filter.origins = replay.filter.origins
        filter.sectors = replay.filter.sectors
        filter.incidentID = replay.filter.incidentID.isEmpty ? nil : replay.filter.incidentID
        filter.recordedUntil = replay.untilMilliseconds
        var from = replay.fromSeq
        if let since = replay.sinceMilliseconds {
            filter.recordedFrom = since
            from = max(from, try reader.firstSeq(recordedAtOrAfter: since) ?? high + 1)
        }
        if replay.fromSeq > 0, replay.fromSeq < low {
            throw SyncFailure(code: .pruned, reason: "from_seq \(replay.fromSeq) is older than the oldest kept record \(low)")
        }
        let through = replay.untilSeq == 0 ? high : min(replay.untilSeq, high)
        return .replay(next: max(from, low, 1), through: through, filter: filter)
    }

    // MARK: Streaming

    private func serveOneRound() throws {
        for key in order {
            guard var stream = streams[key], stream.credit > 0 else { continue }
            if let requester = stream.requester, security.identities.identity(forUserID: requester.userID) == nil {
                metrics.refused("sync_forbidden")
                reply(error: .forbidden, "the key of this connection was revoked", requestID: key.requestID,
                      envelope: stream.envelope)
                finish(key)
                continue
            }
            let done: Bool
            switch stream.work {
            case let .snapshot(incidents, position, high):
                let end = min(position + limits.syncChunkRecords, incidents.count)
                if position < end {
                    var chunk = Ibm_V1_SnapshotChunk()
                    chunk.incidents = Array(incidents[position..<end])
                    var reply = Ibm_V1_SyncReply()
                    reply.requestID = key.requestID
                    reply.snapshot = chunk
                    guard send(reply, envelope: stream.envelope) else { continue }
                    stream.sent += UInt64(end - position)
                    stream.credit -= 1
                }
                stream.work = .snapshot(incidents: incidents, position: end, highSeq: high)
                done = end >= incidents.count
                if done { sendEnd(requestID: key.requestID, highSeq: high, count: stream.sent, envelope: stream.envelope) }
            case let .replay(next, through, filter):
                var scanned: [JournalRecord] = []
                if next <= through {
                    try reader.scan(from: next, through: through, filter: filter, chunkSize: limits.syncChunkRecords) { record in
                        scanned.append(record)
                        return scanned.count < limits.syncChunkRecords
                    }
                }
                var records: [UInt8] = []
                var count = 0
                let last = scanned.last?.seq ?? through
                for record in scanned {
                    let body: [UInt8]?
                    do {
                        body = try released(record, in: &stream)
                    } catch {
                        // Fail closed: a record that cannot be judged is not sent.
                        logger.error("replay record withheld", metadata: ["journal.seq": "\(record.seq)", "error": "\(error)"])
                        body = nil
                    }
                    guard let body else { continue }
                    var encoded: [UInt8] = []
                    ProtobufWire.appendVarintField(1, record.seq, to: &encoded)
                    ProtobufWire.appendBytesField(2, ProtobufWire.timestamp(unixMilliseconds: record.recordedAt), to: &encoded)
                    ProtobufWire.appendBytesField(record.kind == .alert ? 3 : 4, body, to: &encoded)
                    ProtobufWire.appendBytesField(1, encoded, to: &records)
                    count += 1
                }
                if count > 0 {
                    var frame: [UInt8] = []
                    ProtobufWire.appendVarintField(1, key.requestID, to: &frame)
                    ProtobufWire.appendBytesField(3, records, to: &frame)
                    guard sendRaw(frame, envelope: stream.envelope) else { continue }
                    stream.sent += UInt64(count)
                    stream.credit -= 1
                }
                done = scanned.count < limits.syncChunkRecords || last >= through
                stream.work = .replay(next: last &+ 1, through: through, filter: filter)
                if done { sendEnd(requestID: key.requestID, highSeq: through, count: stream.sent, envelope: stream.envelope) }
            }
            if done {
                finish(key)
            } else {
                streams[key] = stream
            }
        }
    }

    /// The body of `record` as the stream's requester may see it, or nil to leave it out.
    /// A failed send drops the stream copy, and with it what this chunk taught `visible`.
    private func released(_ record: JournalRecord, in stream: inout Stream) throws -> [UInt8]? {
        guard let audience = stream.requester?.audience else { return record.body }
        switch record.kind {
        case .alert:
            let alert = try Ibm_V1_Alert(serializedBytes: record.body)
            return Release.releases(alert, to: audience) ? record.body : nil
        case .event:
            let event = try Ibm_V1_PictureEvent(serializedBytes: record.body)
            let id = event.incident.id
            let before = try stream.visible[id] ?? visibleBefore(incidentID: id, seq: record.seq, audience: audience)
            let now = event.kind != .closed && Release.view(of: event.incident, for: audience) != nil
            stream.visible[id] = now
            guard let view = Release.view(of: event, for: audience, visibleBefore: before) else { return nil }
            let whole = (!event.hasAlert || Release.releases(event.alert, to: audience))
                && event.incident.contributions.allSatisfy { Release.releases($0, to: audience) }
            return whole ? record.body : try view.serializedBytes()
        }
    }

    /// Whether the incident was visible to `audience` just before `seq`: its latest earlier event says.
    private func visibleBefore(incidentID: String, seq: UInt64, audience: Release.Audience) throws -> Bool {
        guard seq > 1 else { return false }
        var filter = RecordFilter()
        filter.kinds = [.event]
        filter.incidentID = incidentID
        var latest: JournalRecord?
        try reader.scan(from: 1, through: seq - 1, filter: filter) { record in
            latest = record
            return true
        }
        guard let latest else { return false }
        let event = try Ibm_V1_PictureEvent(serializedBytes: latest.body)
        return event.kind != .closed && Release.view(of: event.incident, for: audience) != nil
    }

    private func dropIdleStreams() {
        let now = HubCore.now()
        for (key, stream) in streams where now - stream.lastActivity > limits.syncIdleMilliseconds && stream.credit == 0 {
            logger.info("sync stream dropped: no credit granted", metadata: ["request": "\(key.requestID)"])
            finish(key)
        }
    }

    static func matches(_ incident: Ibm_V1_Incident, _ filter: Ibm_V1_Filter) -> Bool {
        if !filter.categories.isEmpty, !filter.categories.contains(incident.category) { return false }
        if !filter.sectors.isEmpty, !filter.sectors.contains(incident.location.sector) { return false }
        if !filter.incidentID.isEmpty, filter.incidentID != incident.id { return false }
        if !filter.origins.isEmpty, !incident.contributions.contains(where: { filter.origins.contains($0.origin) }) {
            return false
        }
        return true
    }

    // MARK: Replies

    private func sendEnd(requestID: UInt64, highSeq: UInt64, count: UInt64, envelope: [[UInt8]]) {
        var end = Ibm_V1_End()
        end.highSeq = highSeq
        end.records = count
        var reply = Ibm_V1_SyncReply()
        reply.requestID = requestID
        reply.end = end
        send(reply, envelope: envelope)
    }

    private func reply(error code: Ibm_V1_SyncErrorCode, _ reason: String, requestID: UInt64, envelope: [[UInt8]],
                       retryAfter: UInt32 = 0) {
        var failure = Ibm_V1_SyncError()
        failure.code = code
        failure.reason = reason
        failure.retryAfterMs = retryAfter
        var reply = Ibm_V1_SyncReply()
        reply.requestID = requestID
        reply.error = failure
        send(reply, envelope: envelope)
    }

    @discardableResult
    private func send(_ reply: Ibm_V1_SyncReply, envelope: [[UInt8]]) -> Bool {
        guard let bytes: [UInt8] = try? reply.serializedBytes() else { return false }
        return sendRaw(bytes, envelope: envelope)
    }

    /// False when the peer's pipe is full (or gone): the caller keeps its place and tries later.
    @discardableResult
    private func sendRaw(_ bytes: [UInt8], envelope: [[UInt8]]) -> Bool {
        do {
            return try socket.sendMultipart(envelope + [bytes], dontWait: true)
        } catch {
            logger.warning("sync reply not sent", metadata: ["error": "\(error)"])
            return false
        }
    }
}
