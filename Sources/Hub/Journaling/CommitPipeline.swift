import Foundation
import Journal
import Logging
import Synchronization
import ZeroMQ

/// Records the core hands to the journal writer, committed together.
struct CommitBatch: Sendable {
    /// The core's reset count when it built the batch; stale batches are dropped.
    var epoch: UInt64
    var records: [JournalRecord]
    /// State of the picture after the last record, to store as a checkpoint.
    var checkpoint: CheckpointSnapshot?
}

/// The picture as it was at `seq`. Held by value, so taking it costs the core thread a
/// copy-on-write reference, and encoding it (about 0.5 s with 100k open incidents) happens
/// on the checkpoint thread instead of stalling ingest.
struct CheckpointSnapshot: Sendable {
    var seq: UInt64
    var state: PictureState

    func encoded() -> [UInt8] { state.checkpoint(at: seq).encoded() }
}

/// Encodes checkpoints on its own thread so that neither the core's ingest nor the writer's
/// commits wait for them. Only the newest snapshot matters: a newer one replaces one still waiting.
final class CheckpointEncoder: Sendable {
    private struct State {
        var waiting: CheckpointSnapshot?
        var encoding = false
        var done: (seq: UInt64, bytes: [UInt8])?
        var stopping = false
    }

    private let condition = NSCondition()
    private let state = Mutex(State())

    func submit(_ snapshot: CheckpointSnapshot) {
        condition.lock()
        state.withLock { $0.waiting = snapshot }
        condition.broadcast()
        condition.unlock()
    }

    /// The newest encoded checkpoint not yet taken.
    func takeEncoded() -> (seq: UInt64, bytes: [UInt8])? {
        state.withLock { state in
            defer { state.done = nil }
            return state.done
        }
    }

    /// Waits until everything submitted is encoded, stops the thread's loop, and returns the newest.
    func finish() -> (seq: UInt64, bytes: [UInt8])? {
        condition.lock()
        state.withLock { $0.stopping = true }
        condition.broadcast()
        while state.withLock({ $0.waiting != nil || $0.encoding }) { condition.wait() }
        condition.unlock()
        return takeEncoded()
    }

    /// The thread's body: encodes what is submitted until `finish()`.
    func run() {
        while true {
            condition.lock()
            var next: CheckpointSnapshot?
            while true {
                let (snapshot, stopping) = state.withLock { state -> (CheckpointSnapshot?, Bool) in
                    defer {
                        if state.waiting != nil { state.encoding = true }
                        state.waiting = nil
                    }
                    return (state.waiting, state.stopping)
                }
                if let snapshot {
                    next = snapshot
                    break
                }
                if stopping {
                    condition.unlock()
                    return
                }
                condition.wait()
            }
            condition.unlock()
            guard let snapshot = next else { continue }
            let bytes = snapshot.encoded()
            condition.lock()
            state.withLock { state in
                state.encoding = false
                if (state.done?.seq ?? 0) < snapshot.seq { state.done = (snapshot.seq, bytes) }
            }
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// What the writer tells the core after each commit attempt.
enum CommitNotice: Sendable, Equatable {
    case committed(epoch: UInt64, throughSeq: UInt64)
    case failed(epoch: UInt64, diskFull: Bool, reason: String)

    func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        switch self {
        case let .committed(epoch, seq):
            writer.write(UInt8(1))
            writer.write(epoch)
            writer.write(seq)
        case let .failed(epoch, diskFull, reason):
            writer.write(UInt8(2))
            writer.write(epoch)
            writer.write(UInt8(diskFull ? 1 : 0))
            writer.write(blob: Array(reason.utf8))
        }
        return writer.bytes
    }

    init?(_ bytes: [UInt8]) {
        var reader = BinaryReader(bytes)
        do {
            switch try reader.read(UInt8.self) {
            case 1:
                self = .committed(epoch: try reader.read(UInt64.self), throughSeq: try reader.read(UInt64.self))
            case 2:
                let epoch = try reader.read(UInt64.self)
                let diskFull = try reader.read(UInt8.self) == 1
                self = .failed(epoch: epoch, diskFull: diskFull, reason: String(decoding: try reader.readBlob(), as: UTF8.self))
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}

/// The hand-off between the core thread and the journal writer thread.
///
/// The core appends batches under the lock and rings the doorbell (a frame on
/// an inproc PAIR); the writer takes everything queued at once, which is what
/// makes the commit a group commit: what arrives during one commit goes into the next.
final class CommitQueue: Sendable {
    private struct State {
        var batches: [CommitBatch] = []
        var retention: RetentionPolicy?
        var stopping = false
    }

    private let state = Mutex(State())

    func enqueue(_ batch: CommitBatch) {
        state.withLock { $0.batches.append(batch) }
    }

    /// Everything queued, merged in order; nil when nothing is.
    func takeAll() -> (batches: [CommitBatch], retention: RetentionPolicy?, stopping: Bool) {
        state.withLock { state in
            defer {
                state.batches.removeAll(keepingCapacity: true)
                state.retention = nil
            }
            return (state.batches, state.retention, state.stopping)
        }
    }

    /// Asks the writer to apply retention after its next commit.
    func requestRetention(_ policy: RetentionPolicy) {
        state.withLock { $0.retention = policy }
    }

    /// Drops queued batches older than `epoch` (after a failed commit).
    func discard(before epoch: UInt64) {
        state.withLock { $0.batches.removeAll { $0.epoch < epoch } }
    }

    func requestStop() {
        state.withLock { $0.stopping = true }
    }
}

/// The journal writer thread: owns the `JournalWriter` and commits batches.
struct JournalWriterLoop {
    let context: ZMQContext
    let endpoint: String
    let queue: CommitQueue
    let journal: JournalWriter
    let metrics: HubMetrics
    let logger: Logger

    /// Runs until the core asks it to stop and the queue is empty.
    func run() {
        let socket: Socket
        let encoder = CheckpointEncoder()
        let encoderThread: ConfinedThread<Void>
        do {
            socket = try context.makeSocket(.pair)
            try socket.set(.linger, 0)
            // Wakes without a doorbell too, to write a checkpoint the encoder has finished.
            try socket.set(.receiveTimeout, 250)
            try socket.connect(endpoint)
            encoderThread = try ConfinedThread(name: "hub.checkpoint") { encoder.run() }
        } catch {
            logger.critical("journal writer cannot start", metadata: ["error": "\(error)"])
            journal.close()
            return
        }
        defer {
            // The last checkpoint (the core sends one at a graceful stop) is written before closing.
            if let last = encoder.finish() { writeCheckpoint(last) }
            encoderThread.join()
            socket.close()
            journal.close()
        }
        while true {
            // Wait for a doorbell; drain extra ones so one wake-up serves them all.
            do {
                if try socket.receive(dontWait: false) != nil {
                    while try socket.receive(dontWait: true) != nil {}
                }
            } catch {
                if !error.isTerminated {
                    logger.error("journal writer wait failed", metadata: ["error": "\(error)"])
                }
                return
            }
            let (batches, retention, stopping) = queue.takeAll()
            if !batches.isEmpty { commit(batches, notifying: socket, encoder: encoder) }
            if let encoded = encoder.takeEncoded() { writeCheckpoint(encoded) }
            if let retention { applyRetention(retention) }
            if stopping { return }
        }
    }

    private func writeCheckpoint(_ checkpoint: (seq: UInt64, bytes: [UInt8])) {
        do {
            try journal.writeCheckpoint(seq: checkpoint.seq, state: checkpoint.bytes)
            logger.info("checkpoint written", metadata: ["journal.seq": "\(checkpoint.seq)"])
        } catch {
            // The records are safe; recovery just replays a longer tail.
            logger.warning("checkpoint not written", metadata: ["error": "\(error)"])
        }
    }

    private func applyRetention(_ policy: RetentionPolicy) {
        do {
            let result = try journal.applyRetention(policy, now: HubCore.now())
            logger.info("retention applied", metadata: ["result": "\(result)"])
        } catch {
            logger.warning("retention failed", metadata: ["error": "\(error)"])
        }
    }

    private func commit(_ batches: [CommitBatch], notifying socket: Socket, encoder: CheckpointEncoder) {
        // Batches of one epoch commit in one transaction; a new epoch starts a new one.
        var index = 0
        while index < batches.count {
            let epoch = batches[index].epoch
            var records: [JournalRecord] = []
            var checkpoint: CheckpointSnapshot?
            while index < batches.count, batches[index].epoch == epoch {
                records += batches[index].records
                if let next = batches[index].checkpoint { checkpoint = next }
                index += 1
            }
            let notice: CommitNotice
            let started = ContinuousClock.now
            do {
                let through = records.isEmpty ? journal.lastSeq : try journal.append(records)
                metrics.recordCommit(records: records.count, duration: ContinuousClock.now - started)
                // Only a committed state may become a checkpoint.
                if let checkpoint, checkpoint.seq <= through { encoder.submit(checkpoint) }
                notice = .committed(epoch: epoch, throughSeq: through)
            } catch {
                logger.error("journal commit failed", metadata: [
                    "error": "\(error)", "journal.seq": "\(records.first?.seq ?? 0)",
                ])
                notice = .failed(epoch: epoch, diskFull: error.isDiskFull, reason: error.description)
            }
            do {
                try socket.send(notice.encoded())
            } catch {
                logger.error("journal writer cannot notify the core", metadata: ["error": "\(error)"])
            }
        }
    }
}
