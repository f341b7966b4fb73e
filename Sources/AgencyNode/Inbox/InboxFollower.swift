import Foundation
import HubClient
import IBMProtocol
import Logging
import Synchronization
import ZeroMQ

/// Keeps the inbox equal to the hub's picture for this identity: a HubClient
/// `PictureFollower` (snapshot, feed, gap recovery through sync) on a dedicated thread,
/// resuming from the inbox's seq after a restart. Each batch of events is committed to
/// the inbox before `/v1/feed` readers are told about it.
final class InboxFollower {
    private let inbox: InboxStore
    private let configuration: AgencyConfiguration
    private let metrics: AgencyMetrics
    private let status: NodeStatus
    private let notifier: EventNotifier
    private let logger: Logger

    init(inbox: InboxStore, configuration: AgencyConfiguration, metrics: AgencyMetrics, status: NodeStatus,
         notifier: EventNotifier, logger: Logger) {
        self.inbox = inbox
        self.configuration = configuration
        self.metrics = metrics
        self.status = status
        self.notifier = notifier
        self.logger = logger
    }

    func run(context: ZMQContext, security: ClientSecurity) -> Result<Void, AgencyError> {
        let follower: PictureFollower
        do {
            // The inbox is the picture: the follower only tracks the seq (no second copy in memory).
            let lastSeq = try inbox.lastSeq()
            status.state.withLock { $0.inboxSeq = lastSeq }
            follower = try PictureFollower(context: context, address: configuration.hub, security: security,
                                           resume: lastSeq > 0 ? ([], lastSeq) : nil, keepsIncidents: false)
            notifier.publish(lastSeq)
        } catch {
            return .failure(.storage("cannot start following the hub: \(error)"))
        }
        status.state.withLock { $0.followerRunning = true }
        defer { status.state.withLock { $0.followerRunning = false } }
        var lastNotice = monotonicMilliseconds()
        while !status.stopRequested {
            var snapshot: ([String: Ibm_V1_Incident], UInt64)?
            var events: [Ibm_V1_PictureEvent] = []
            var failure: Error?
            do {
                try follower.follow(
                    forMilliseconds: 200, until: { events.count >= 2000 },
                    event: { events.append($0) }, snapshot: { snapshot = ($0, $1) })
            } catch {
                failure = error
            }
            // What was applied before an error is kept too: the follower will not deliver it again.
            do {
                if let (incidents, seq) = snapshot {
                    try inbox.replace(with: incidents, seq: seq)
                    logger.info("inbox replaced by a snapshot", metadata: ["journal.seq": "\(seq)", "incidents": "\(incidents.count)"])
                }
                try inbox.apply(events)
            } catch {
                logger.critical("cannot write the inbox; stopping the follower", metadata: ["error": "\(error)"])
                return .failure(.storage("inbox write failed: \(error)"))
            }
            if !events.isEmpty { metrics.receivedEvents.increment(by: Int64(events.count)) }
            let seq = follower.lastSeq
            status.state.withLock { state in
                state.inboxSeq = seq
                state.lastFeedTraffic = follower.millisecondsSinceFeedTraffic.map { monotonicMilliseconds() - $0 }
                if failure == nil { state.lastFollowerError = nil }
            }
            // Also every few seconds when nothing changed: feed streams write a keep-alive
            // then, which is how they notice a client that went away.
            if snapshot != nil || !events.isEmpty || monotonicMilliseconds() - lastNotice > 10_000 {
                notifier.publish(seq)
                lastNotice = monotonicMilliseconds()
            }
            if let failure {
                status.state.withLock { $0.lastFollowerError = "\(failure)" }
                if case let HubClientError.refused(code, _) = failure, code.lowercased().contains("pruned") {
                    logger.warning("the hub no longer holds the events after our last seq; taking a snapshot")
                    follower.resynchronize()
                } else {
                    logger.warning("following the hub failed; retrying", metadata: ["error": "\(failure)"])
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }
        return .success(())
    }
}

/// Tells `/v1/feed` streams that the inbox holds events through a new seq. Each stream
/// keeps only the latest value, so a slow stream costs no memory: it reads the events
/// themselves from the inbox, in order.
final class EventNotifier: Sendable {
    private struct State {
        var seq: UInt64 = 0
        var streams: [UInt64: AsyncStream<UInt64>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func publish(_ seq: UInt64) {
        let streams = state.withLock { state in
            state.seq = max(state.seq, seq)
            return Array(state.streams.values)
        }
        for stream in streams { stream.yield(seq) }
    }

    /// A stream of "events are available through seq" notices, starting with the current one.
    func subscribe() -> AsyncStream<UInt64> {
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            state.streams[state.nextID] = continuation
            continuation.yield(state.seq)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.streams.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every stream (graceful shutdown).
    func finishAll() {
        let streams = state.withLock { state in
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }
        for stream in streams { stream.finish() }
    }
}
