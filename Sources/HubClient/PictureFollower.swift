import IBMProtocol
import SwiftProtobuf
import ZeroMQ

/// Keeps a local copy of the shared picture: a snapshot, then the live feed,
/// with every gap filled through sync (the Clone pattern, with recovery).
///
/// A follower that started late, was slow past its HWM or lost its connection
/// ends with exactly the picture of one that never missed an event.
public final class PictureFollower {
    /// Open incidents by id.
    public private(set) var incidents: [String: Ibm_V1_Incident] = [:]
    /// Seq of the last event applied (or the snapshot's seq).
    public private(set) var lastSeq: UInt64 = 0
    /// Gaps detected and filled.
    public private(set) var recoveries = 0

    private let feed: Socket
    private let sync: SyncClient
    private var synced = false
    private var lastFeedTraffic: Int64?

    /// Milliseconds since the feed last delivered anything (an event or a heartbeat);
    /// nil before the first. The hub sends a heartbeat every second, so a large value
    /// means the connection is down.
    public var millisecondsSinceFeedTraffic: Int64? {
        lastFeedTraffic.map { monotonicMilliseconds() - $0 }
    }

    /// Whether `incidents` is kept; a caller that stores the picture itself (from `snapshot` and
    /// `event`) turns it off so the picture is not held in memory twice.
    public let keepsIncidents: Bool

    /// `resume` starts from a picture kept elsewhere (incidents current through `lastSeq`) instead of
    /// a snapshot: the first event or heartbeat past it is recovered through replay.
    public init(context: ZMQContext, address: HubAddress, security: ClientSecurity, receiveHWM: Int = 100_000,
                resume: (incidents: [Ibm_V1_Incident], lastSeq: UInt64)? = nil, keepsIncidents: Bool = true) throws {
        self.keepsIncidents = keepsIncidents
        if let resume {
            if keepsIncidents {
                incidents = Dictionary(resume.incidents.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            }
            lastSeq = resume.lastSeq
            synced = true
        }
        feed = try context.makeSocket(.sub)
        try feed.set(.linger, 0)
        try feed.set(.receiveHighWaterMark, receiveHWM)
        try security.apply(to: feed)
        try feed.subscribe("")
        try feed.connect(address.feed)
        sync = try SyncClient(context: context, endpoint: address.sync, security: security)
    }

    deinit { feed.close() }

    /// Takes the snapshot, then follows the feed until `until` returns true or the
    /// time runs out. `event` sees each event applied, in seq order, once.
    /// `snapshot` sees the picture whenever a snapshot replaces it (the first call, or after `resynchronize`).
    public func follow(forMilliseconds duration: Int64, until: () -> Bool = { false },
                       event: (Ibm_V1_PictureEvent) -> Void = { _ in },
                       snapshot: (_ incidents: [String: Ibm_V1_Incident], _ seq: UInt64) -> Void = { _, _ in }) throws {
        let deadline = monotonicMilliseconds() + duration
        if !synced {
            let (taken, high) = try sync.snapshot()
            incidents = Dictionary(taken.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            lastSeq = high
            synced = true
            snapshot(incidents, high)
            if !keepsIncidents { incidents = [:] }
        }
        var poller = Poller()
        try poller.add(feed)
        while monotonicMilliseconds() < deadline, !until() {
            guard try poller.poll(timeoutMilliseconds: 50).isReadable(0) else { continue }
            while let frames = try feed.receiveMultipart(dontWait: true) {
                lastFeedTraffic = monotonicMilliseconds()
                guard frames.count == 2 else { continue }
                let topic = String(decoding: frames[0], as: UTF8.self)
                if topic.hasSuffix("/hb") {
                    // A heartbeat names the last event: a gap at the end of a quiet period shows here.
                    if let beat = try? Ibm_V1_Heartbeat(serializedBytes: frames[1]), beat.lastSeq > lastSeq {
                        try recover(through: beat.lastSeq, event: event)
                    }
                    continue
                }
                guard let received = try? Ibm_V1_PictureEvent(serializedBytes: frames[1]) else { continue }
                if received.seq <= lastSeq { continue }  // covered by the snapshot or a recovery
                if received.prevSeq > lastSeq {
                    try recover(through: received.prevSeq, event: event)
                }
                apply(received, event: event)
            }
        }
    }

    /// Takes a new snapshot on the next `follow`, for when replay cannot fill a gap
    /// (the hub's retention pruned it, or its journal is not the one we followed).
    public func resynchronize() {
        synced = false
    }

    /// Replays events after `lastSeq` through `seq` from the journal.
    private func recover(through seq: UInt64, event: (Ibm_V1_PictureEvent) -> Void) throws {
        recoveries += 1
        var request = Ibm_V1_ReplayRequest()
        request.fromSeq = lastSeq + 1
        request.untilSeq = seq
        let end = try sync.replay(request) { record in
            if case let .event(replayed) = record.body, replayed.seq > lastSeq {
                apply(replayed, event: event)
            }
        }
        // The hub leaves out events not released to this key: the range is covered even
        // when nothing in it was sent.
        lastSeq = max(lastSeq, min(seq, end.highSeq))
    }

    private func apply(_ received: Ibm_V1_PictureEvent, event: (Ibm_V1_PictureEvent) -> Void) {
        if !keepsIncidents {
            // The caller keeps the picture.
        } else if received.kind == .closed {
            incidents[received.incident.id] = nil
        } else {
            incidents[received.incident.id] = received.incident
        }
        lastSeq = received.seq
        event(received)
    }
}
