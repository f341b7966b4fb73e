import Correlation
import Foundation
import IBMProtocol
import Journal
import Logging
import SwiftProtobuf

/// The hub's in-memory state derived from the journal: the correlator, the
/// dedup filter and the feed chain. It is rebuilt from the latest checkpoint
/// plus the journal's tail at start-up and after a failed commit.
struct PictureState: Sendable {
    var correlator: Correlator
    var dedup: DedupFilter
    /// Seq of the last picture event, which the next event names as `prev_seq`.
    var lastEventSeq: UInt64
    /// Highest seq in the journal when the state was rebuilt.
    var journalSeq: UInt64
    /// Seq of the checkpoint it started from (0 for none).
    var checkpointSeq: UInt64
    /// Where the rebuild spent its time, for the start-up log.
    var timings = RecoveryTimings()

    init(rules: CorrelationRules) {
        correlator = Correlator(rules: rules)
        dedup = DedupFilter()
        lastEventSeq = 0
        journalSeq = 0
        checkpointSeq = 0
    }

    /// Rebuilds from `reader`: latest checkpoint, then every later record in order.
    static func recover(from reader: JournalReader, rules: CorrelationRules, logger: Logger) throws -> PictureState {
        let clock = ContinuousClock()
        var lap = clock.now
        func split() -> Duration {
            let now = clock.now
            defer { lap = now }
            return now - lap
        }
        var state = PictureState(rules: rules)
        let high = try reader.highSeq()
        var from = max(try reader.lowSeq(), 1)
        let latest = try reader.latestCheckpoint()
        state.timings.checkpointRead = split()
        if let checkpoint = latest {
            do {
                let decoded = try HubCheckpoint(decoding: checkpoint.state)
                let correlatorState = try CorrelatorState(
                    decoding: decoded.correlatorState, parallelism: ProcessInfo.processInfo.activeProcessorCount)
                state.timings.checkpointDecode = split()
                state.correlator = try Correlator(rules: rules, restoring: correlatorState)
                state.timings.restore = split()
                state.dedup = decoded.dedup
                state.lastEventSeq = decoded.lastEventSeq
                state.checkpointSeq = checkpoint.seq
                state.timings.checkpointBytes = checkpoint.state.count
                from = checkpoint.seq + 1
            } catch {
                logger.warning("checkpoint unreadable; rebuilding from the whole journal", metadata: [
                    "journal.seq": "\(checkpoint.seq)", "error": "\(error)",
                ])
                let timings = state.timings
                state = PictureState(rules: rules)
                state.timings = timings
                _ = split()
            }
        }
        var producedThrough: UInt64 = 0
        var failure: (any Error)?
        if from <= high {
            try reader.scan(from: from, through: high, filter: .all) { record in
                do {
                    switch record.kind {
                    case .alert:
                        let alert = try Ibm_V1_Alert(serializedBytes: record.body)
                        state.dedup.insert(origin: alert.origin, alertID: alert.id)
                        let result = state.correlator.apply(alert, seq: record.seq)
                        producedThrough = record.seq + UInt64(result.changes.count)
                    case .event:
                        // Events that an alert produced were replayed with it; only
                        // idle closes came from the hub's clock and are replayed here.
                        if record.seq > producedThrough {
                            let event = try Ibm_V1_PictureEvent(serializedBytes: record.body)
                            if event.closeReason == .idle, event.hasIdleAsOf {
                                let changes = state.correlator.expire(
                                    asOf: event.idleAsOf.unixMilliseconds, firstSeq: record.seq)
                                producedThrough = record.seq + UInt64(max(changes.count, 1)) - 1
                            }
                        }
                        state.lastEventSeq = record.seq
                    }
                    state.timings.tailRecords += 1
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
        }
        if let failure {
            throw HubError.recovery("journal record could not be replayed: \(failure)")
        }
        state.timings.tailReplay = split()
        state.journalSeq = high
        return state
    }

    func checkpoint(at seq: UInt64) -> HubCheckpoint {
        HubCheckpoint(seq: seq, lastEventSeq: lastEventSeq, correlatorState: correlator.serializedState(), dedup: dedup)
    }
}

/// Time spent in each step of a rebuild (zero for a step not taken).
struct RecoveryTimings {
    /// Journal head, low seq and the latest checkpoint's row.
    var checkpointRead: Duration = .zero
    /// Checkpoint blob to incidents and dedup filter (protobuf decoding included).
    var checkpointDecode: Duration = .zero
    /// Correlator tables and indexes built from the decoded incidents.
    var restore: Duration = .zero
    /// Records after the checkpoint correlated again.
    var tailReplay: Duration = .zero
    var tailRecords = 0
    var checkpointBytes = 0

    /// As log metadata, in milliseconds.
    var metadata: Logger.Metadata {
        func ms(_ duration: Duration) -> Logger.MetadataValue { "\(Int((duration / .milliseconds(1)).rounded()))" }
        return [
            "checkpoint_read_ms": ms(checkpointRead), "checkpoint_decode_ms": ms(checkpointDecode),
            "restore_ms": ms(restore), "tail_replay_ms": ms(tailReplay), "tail_records": "\(tailRecords)",
            "checkpoint_bytes": "\(checkpointBytes)",
        ]
    }
}
