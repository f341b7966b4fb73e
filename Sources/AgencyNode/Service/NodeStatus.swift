import Synchronization

/// What the daemon's threads report for `/healthz`, behind one lock.
final class NodeStatus: Sendable {
    struct State: Sendable {
        /// Monotonic ms of the hub's last reply on ingest, if any.
        var lastIngestReply: Int64?
        /// The hub's journal seq from its last heartbeat reply.
        var hubLastSeq: UInt64 = 0
        /// Seq the inbox is current through.
        var inboxSeq: UInt64 = 0
        /// Monotonic ms of the last feed traffic (event or heartbeat).
        var lastFeedTraffic: Int64?
        var lastFollowerError: String?
        var stopRequested = false
        var senderRunning = false
        var followerRunning = false
    }

    let state = Mutex(State())

    var stopRequested: Bool { state.withLock { $0.stopRequested } }
}
