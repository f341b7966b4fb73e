import Foundation
import IBMProtocol
import Logging
import Synchronization

/// Stores alerts in the outbox with group commit: every request that arrives while one
/// transaction runs goes into the next one, so concurrent POSTs and spool files share
/// one fsync. A request is answered only after its transaction committed.
///
/// `run()` occupies a dedicated thread: SQLite calls block.
final class IntakeQueue: Sendable {
    private struct Request: Sendable {
        var alerts: [Ibm_V1_Alert]
        var source: String
        var completion: @Sendable (Result<[String], AgencyError>) -> Void
    }

    private struct State {
        var requests: [Request] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let wakeUp = NSCondition()
    private let store: OutboxStore
    private let maxBatch: Int
    private let stored: @Sendable (Int) -> Void
    private let logger: Logger

    /// `stored` is called after each commit with the number of alerts it held.
    init(store: OutboxStore, maxBatch: Int, logger: Logger, stored: @escaping @Sendable (Int) -> Void) {
        self.store = store
        self.maxBatch = maxBatch
        self.logger = logger
        self.stored = stored
    }

    /// Stores `alerts` durably; returns their ids once committed.
    func submit(_ alerts: [Ibm_V1_Alert], source: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[String], Error>) in
            enqueue(Request(alerts: alerts, source: source) { continuation.resume(with: $0.mapError { $0 }) })
        }
    }

    /// Blocking form of `submit`, for threads that are not in the cooperative pool.
    func submitAndWait(_ alerts: [Ibm_V1_Alert], source: String) throws -> [String] {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<[String], AgencyError>?>(nil)
        enqueue(Request(alerts: alerts, source: source) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        })
        done.wait()
        return try result.withLock { $0 }?.get() ?? []
    }

    private func enqueue(_ request: Request) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.requests.append(request)
            return true
        }
        guard accepted else {
            request.completion(.failure(.stopped))
            return
        }
        wakeUp.lock()
        wakeUp.signal()
        wakeUp.unlock()
    }

    /// Requests waiting for the next transaction.
    var waitingRequests: Int { state.withLock { $0.requests.count } }

    /// Refuses new requests; `run` returns once the queued ones are stored.
    func stop() {
        state.withLock { $0.stopped = true }
        wakeUp.lock()
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    /// The writer loop.
    func run() {
        while true {
            wakeUp.lock()
            var batch: [Request] = []
            var finished = false
            while batch.isEmpty, !finished {
                (batch, finished) = state.withLock { state -> ([Request], Bool) in
                    // Whole requests only: one POST or one spool file is stored all or nothing.
                    var taken: [Request] = []
                    var count = 0
                    while let first = state.requests.first, taken.isEmpty || count + first.alerts.count <= maxBatch {
                        count += first.alerts.count
                        taken.append(state.requests.removeFirst())
                    }
                    return (taken, state.stopped && state.requests.isEmpty)
                }
                if batch.isEmpty, !finished { _ = wakeUp.wait(until: Date().addingTimeInterval(1)) }
            }
            wakeUp.unlock()
            if !batch.isEmpty { commit(batch) }
            if finished && batch.isEmpty { return }
        }
    }

    private func commit(_ batch: [Request]) {
        do {
            let ids = try store.store(batch.map { ($0.alerts, $0.source) }, nowMilliseconds: currentMilliseconds())
            stored(batch.reduce(0) { $0 + $1.alerts.count })
            for (request, ids) in zip(batch, ids) { request.completion(.success(ids)) }
        } catch {
            logger.error("outbox write failed; the intake answers 503", metadata: ["error": "\(error)"])
            for request in batch { request.completion(.failure(.storage("the outbox cannot store alerts now: \(error)"))) }
        }
    }
}
