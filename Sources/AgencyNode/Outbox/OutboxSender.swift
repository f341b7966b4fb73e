import Foundation
import HubClient
import IBMProtocol
import Logging
import Synchronization
import ZeroMQ

/// Drains the outbox to the hub over one DEALER (HubClient's `IngestClient`), in outbox
/// order, with at most `window` alerts unanswered. Runs on a dedicated thread.
///
/// - Alerts are read from SQLite a page at a time: memory holds the window, never the backlog.
/// - The socket queues nothing while the hub is unreachable (`ZMQ_IMMEDIATE`), so an
///   alert that cannot go now stops the sending of later ones: order is kept.
/// - Unanswered alerts are sent again after `resend_after`, and all at once after a
///   reconnection (the hub deduplicates, so a resend is never doubled).
/// - `RATE_LIMITED` and `UNAVAILABLE` nacks are retried after the hub's `retry_after_ms`,
///   and all sending pauses until then (so that later alerts do not overtake them while the
///   hub is refusing); other nacks are final and recorded with their code and reason.
final class OutboxSender {
    private struct InFlight {
        var position: Int64
        var encoded: [UInt8]
        /// Monotonic ms of the last send; nil if not sent yet.
        var sentAt: Int64?
        var attempts = 0
        /// Not before this monotonic ms (after a retryable nack).
        var notBefore: Int64 = 0
    }

    private let store: OutboxStore
    private let configuration: AgencyConfiguration
    private let metrics: AgencyMetrics
    private let status: NodeStatus
    private let work: SenderWork
    private let logger: Logger
    /// No sending before this monotonic ms (the hub asked to wait).
    private var pausedUntil: Int64 = 0

    init(store: OutboxStore, configuration: AgencyConfiguration, metrics: AgencyMetrics, status: NodeStatus,
         work: SenderWork, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.status = status
        self.work = work
        self.logger = logger
    }

    func run(context: ZMQContext, security: ClientSecurity) -> Result<Void, AgencyError> {
        let settings = configuration.outbox
        let client: IngestClient
        do {
            client = try IngestClient(context: context, endpoint: configuration.hub.ingest, security: security,
                                      window: settings.window, resendAfterMilliseconds: settings.resendAfterMilliseconds,
                                      immediate: true)
        } catch {
            return .failure(.configuration("cannot connect to the hub's ingest \(configuration.hub.ingest): \(error)"))
        }
        status.state.withLock { $0.senderRunning = true }
        defer { status.state.withLock { $0.senderRunning = false } }
        var inFlight: [String: InFlight] = [:]
        var order: [String] = []           // ids of inFlight in outbox order
        var cursor: Int64 = 0              // highest position read
        var moreQueued = true              // the last page was full, or new alerts were stored
        var lastBeat: Int64 = 0
        var lastReply: Int64? = nil
        var hubUp = false
        var disconnected = false
        var lastPrune: Int64 = 0

        while !status.stopRequested {
            let now = monotonicMilliseconds()
            if work.take() { moreQueued = true }

            // Read the next page when the window has room.
            if moreQueued, inFlight.count < settings.window {
                let room = min(settings.pageSize, settings.window - inFlight.count)
                do {
                    let page = try store.queued(after: cursor, limit: room)
                    for pending in page {
                        cursor = pending.position
                        guard inFlight[pending.alertID] == nil else { continue }
                        inFlight[pending.alertID] = InFlight(position: pending.position, encoded: try IngestClient.encode(pending.alert))
                        order.append(pending.alertID)
                    }
                    moreQueued = page.count == room
                } catch {
                    logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
                    Thread.sleep(forTimeInterval: 0.5)
                    continue
                }
            }

            do {
                // Heartbeats tell whether the hub answers. With ZMQ_IMMEDIATE a send fails only while
                // there is no connection, so a heartbeat that goes out after a failure means a reconnection:
                // whatever was sent before it may have been lost with the old connection; send it again now.
                if now - lastBeat >= 1000 || (disconnected && now - lastBeat >= 100) {
                    let connected = try client.trySendHeartbeat()
                    lastBeat = now
                    if !connected {
                        disconnected = true
                    } else if disconnected {
                        disconnected = false
                        let resend = order.filter { inFlight[$0]?.sentAt != nil }
                        for id in resend { inFlight[id]?.sentAt = nil }
                        if !resend.isEmpty {
                            logger.info("reconnected to the hub; resending unanswered alerts", metadata: ["count": "\(resend.count)"])
                        }
                    }
                }
                let up = lastReply.map { now - $0 < settings.hubTimeoutMilliseconds } ?? false
                if up != hubUp {
                    hubUp = up
                    metrics.hubConnected.set(Double(up ? 1 : 0))
                    logger.log(level: up ? .info : .warning, up ? "hub answering" : "hub not answering; alerts stay queued on disk",
                               metadata: ["hub": "\(configuration.hub.ingest)", "in_flight": "\(inFlight.count)"])
                }
                if !(try send(client, &inFlight, order, now: now, resendAfter: settings.resendAfterMilliseconds)) {
                    disconnected = true
                }

                var answers: [RecordedAnswer] = []
                for event in try client.receive(timeoutMilliseconds: 20) {
                    lastReply = monotonicMilliseconds()
                    switch event {
                    case let .heartbeat(seq):
                        status.state.withLock { $0.hubLastSeq = seq; $0.lastIngestReply = lastReply }
                    case let .answer(alertID, answer):
                        status.state.withLock { $0.lastIngestReply = lastReply }
                        guard var entry = inFlight[alertID] else { continue }  // a resend's second answer
                        if let recorded = final(alertID, answer, entry: &entry) {
                            answers.append(recorded)
                            inFlight[alertID] = nil
                        } else {
                            inFlight[alertID] = entry
                        }
                    }
                }
                if !answers.isEmpty {
                    try store.record(answers)
                    order.removeAll { inFlight[$0] == nil }
                }
            } catch {
                logger.error("sender error; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.2)
            }

            if now - lastPrune > 3_600_000 {
                lastPrune = now
                let cutoff = currentMilliseconds() - settings.keepAnsweredMilliseconds
                if let removed = try? store.prune(answeredBefore: cutoff), removed > 0 {
                    logger.info("outbox pruned answered alerts", metadata: ["removed": "\(removed)"])
                }
            }
        }
        return .success(())
    }

    /// Sends what is due, in outbox order; stops at the first alert the socket cannot take
    /// (then returns false: no connection).
    private func send(_ client: IngestClient, _ inFlight: inout [String: InFlight], _ order: [String], now: Int64,
                      resendAfter: Int64) throws -> Bool {
        if now < pausedUntil { return true }
        for id in order {
            guard var entry = inFlight[id] else { continue }
            if entry.notBefore > now { continue }
            if let sentAt = entry.sentAt, now - sentAt < resendAfter { continue }
            guard try client.trySend(encoded: entry.encoded) else { return false }
            if entry.attempts == 0 { metrics.sent.increment() } else { metrics.resent.increment() }
            entry.attempts += 1
            entry.sentAt = now
            inFlight[id] = entry
        }
        return true
    }

    /// The answer to record, or nil when the alert must be tried again later.
    private func final(_ id: String, _ answer: PublishAnswer, entry: inout InFlight) -> RecordedAnswer? {
        let now = currentMilliseconds()
        switch answer {
        case let .ack(ack):
            let outcome = ack.outcome.jsonName ?? "unknown"
            metrics.acked(outcome)
            return RecordedAnswer(alertID: id, answer: .acked(seq: ack.seq, outcome: outcome, incidentID: ack.incidentID,
                                                              answeredAtMilliseconds: now), attempts: entry.attempts)
        case let .nack(nack):
            let code = (nack.code.jsonName ?? "unknown").uppercased()
            if nack.code == .rateLimited || nack.code == .unavailable {
                entry.sentAt = nil
                entry.notBefore = monotonicMilliseconds() + Int64(max(nack.retryAfterMs, 100))
                pausedUntil = max(pausedUntil, entry.notBefore)
                return nil
            }
            metrics.nacked(code)
            logger.warning("hub refused an alert", metadata: ["alert.id": "\(id)", "code": "\(code)", "reason": "\(nack.reason)"])
            return RecordedAnswer(alertID: id, answer: .nacked(code: code, reason: nack.reason, answeredAtMilliseconds: now),
                                  attempts: entry.attempts)
        }
    }
}

/// Tells the sender that the intake stored new alerts.
final class SenderWork: Sendable {
    private let pending = Atomic<Bool>(true)
    func signal() { pending.store(true, ordering: .releasing) }
    func take() -> Bool { pending.exchange(false, ordering: .acquiringAndReleasing) }
}

func monotonicMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
