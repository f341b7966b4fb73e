import CZeroMQ  // pthread_setname_np
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a body on its own OS thread, so that blocking ZeroMQ work never occupies
/// Swift's cooperative pool. Create sockets inside the body: they stay on that thread.
///
///     let worker = try ConfinedThread(name: "hub.router") { () -> Int in
///         let socket = try? context.makeSocket(.router)
///         ...
///     }
///     let result = worker.join()          // from a thread, or
///     let result = await worker.value     // from async code
public final class ConfinedThread<Value: Sendable>: Sendable {
    private let thread: pthread_t
    private let completion: Completion<Value>
    /// Whether `pthread_join` has been called; held across the join, so concurrent
    /// `join()` callers wait for the first one instead of joining twice.
    private let joined = Mutex<Bool>(false)

    /// Starts the thread.
    /// - Parameters:
    ///   - name: thread name shown by debuggers and `top -H` (first 15 bytes).
    ///   - body: runs on the new thread; its return value is the thread's value.
    /// - Throws: `ZMQError` with call `pthread_create` if no thread could be started.
    public init(name: String? = nil, _ body: sending @escaping () -> Value) throws(ZMQError) {
        let completion = Completion<Value>()
        let start = ThreadStart(name: name, body: body, completion: completion)
        let context = Unmanaged<ThreadEntry>.passRetained(start).toOpaque()
        var thread = pthread_t()
        // A C function pointer cannot capture the generic `Value`, hence the
        // non-generic `ThreadEntry` base class.
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<ThreadEntry>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<ThreadEntry>.fromOpaque(context).release()
            throw ZMQError(errno: rc, call: "pthread_create", detail: name)
        }
        self.thread = thread
        self.completion = completion
    }

    deinit {
        // Nobody will join: let the system reclaim the thread when it ends.
        joined.withLock { joined in
            if !joined { pthread_detach(thread) }
        }
    }

    /// Blocks the calling OS thread until the body returns, then returns its value.
    /// Must not be called from the body itself. From async code use `value`.
    public func join() -> Value {
        joined.withLock { joined in
            if !joined {
                pthread_join(thread, nil)
                joined = true
            }
        }
        guard let value = completion.result else {
            preconditionFailure("ConfinedThread finished without a result")
        }
        return value
    }

    /// Suspends (without blocking a pool thread) until the body returns.
    public var value: Value {
        get async { await completion.wait() }
    }

    /// Whether the body has returned.
    public var isFinished: Bool { completion.result != nil }
}

/// The body's result plus the async waiters; every access goes through `state`'s Mutex.
private final class Completion<Value: Sendable>: Sendable {
    private struct State {
        var result: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    var result: Value? { state.withLock { $0.result } }

    func finish(_ value: Value) {
        let waiters = state.withLock { state in
            state.result = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func wait() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let ready = state.withLock { state -> Value? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// What the new thread runs, handed over through pthread_create's context pointer.
/// Not Sendable: the body was passed as `sending`, so the new thread is its only user.
private class ThreadEntry {
    func run() {}
}

private final class ThreadStart<Value: Sendable>: ThreadEntry {
    let name: String?
    let body: () -> Value
    let completion: Completion<Value>

    init(name: String?, body: @escaping () -> Value, completion: Completion<Value>) {
        self.name = name
        self.body = body
        self.completion = completion
    }

    override func run() {
        if let name {
            // Linux limits thread names to 15 bytes plus NUL.
            let bytes = name.utf8.prefix(15).map { CChar(bitPattern: $0) } + [0]
            bytes.withUnsafeBufferPointer { chars in
                if let base = chars.baseAddress { _ = pthread_setname_np(pthread_self(), base) }
            }
        }
        completion.finish(body())
    }
}
