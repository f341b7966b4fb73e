import IBMProtocol
import Synchronization

/// The open incidents as of the last published seq: what a subscriber that
/// never missed an event holds. The core updates it when it publishes; the
/// sync thread copies it to serve snapshots. A lock guards it because the
/// two threads share it; copies are cheap because incidents are copy-on-write.
public final class PublishedPicture: Sendable {
    private struct State {
        var incidents: [String: Ibm_V1_Incident] = [:]
        var highSeq: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies one committed event; returns the incident as it was before (nil if not open).
    @discardableResult
    func apply(_ event: Ibm_V1_PictureEvent) -> Ibm_V1_Incident? {
        state.withLock { state in
            let previous = state.incidents[event.incident.id]
            state.incidents[event.incident.id] = event.kind == .closed ? nil : event.incident
            state.highSeq = max(state.highSeq, event.seq)
            return previous
        }
    }

    /// Marks the picture current through `seq` (records after the last event hold no change).
    func markCurrent(through seq: UInt64) {
        state.withLock { $0.highSeq = max($0.highSeq, seq) }
    }

    /// Replaces everything (start-up and recovery).
    func reset(incidents: [Ibm_V1_Incident], highSeq: UInt64) {
        // Built, and the old table freed, outside the lock: the sync thread may be serving a snapshot.
        var table: [String: Ibm_V1_Incident] = [:]
        table.reserveCapacity(incidents.count)
        for incident in incidents { table[incident.id] = incident }
        let replaced = state.withLock { state in
            let previous = state.incidents
            state.incidents = table
            state.highSeq = highSeq
            return previous
        }
        withExtendedLifetime(replaced) {}
    }

    /// The open incidents, ordered by when they opened, and the seq they are current through.
    public func snapshot() -> (incidents: [Ibm_V1_Incident], highSeq: UInt64) {
        let (incidents, seq) = state.withLock { (Array($0.incidents.values), $0.highSeq) }
        return (incidents.sorted { ($0.openedSeq, $0.id) < ($1.openedSeq, $1.id) }, seq)
    }

    public var count: Int { state.withLock { $0.incidents.count } }
    public var highSeq: UInt64 { state.withLock { $0.highSeq } }
}
