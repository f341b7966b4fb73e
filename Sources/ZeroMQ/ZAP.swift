import CZeroMQ
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One ZAP request (ZeroMQ RFC 27) from libzmq's security handshake.
public struct ZAPRequest: Sendable, Equatable {
    /// The `ZMQ_ZAP_DOMAIN` of the server socket ("" if unset).
    public var domain: String
    /// The peer's IP address ("" over inproc).
    public var address: String
    /// The peer's routing id, if it set one.
    public var routingId: [UInt8]
    /// "NULL", "PLAIN" or "CURVE".
    public var mechanism: String
    /// CURVE: the client's long-term public key (32 bytes).
    public var curvePublicKey: [UInt8]?
    /// PLAIN: the user name.
    public var username: String?
    /// PLAIN: the password.
    public var password: String?

    public init(
        domain: String, address: String, routingId: [UInt8], mechanism: String,
        curvePublicKey: [UInt8]? = nil, username: String? = nil, password: String? = nil
    ) {
        self.domain = domain
        self.address = address
        self.routingId = routingId
        self.mechanism = mechanism
        self.curvePublicKey = curvePublicKey
        self.username = username
        self.password = password
    }
}

/// The answer to a ZAP request.
public enum ZAPDecision: Sendable, Equatable {
    /// Admit the peer; its messages carry `userId` as "User-Id" metadata.
    case allow(userId: String)
    /// Refuse the peer: status 400 (authentication failed), 300 (try later) or
    /// 500 (handler failure); any other status is sent as 500.
    case deny(status: Int = 400, reason: String)
}

/// A ZAP handler for one context: a thread with a REP socket bound to
/// `inproc://zeromq.zap.01`, answering every handshake of the context's CURVE/PLAIN
/// server sockets (and NULL ones with a `zapDomain`) through `authorize`.
///
/// Start it before the server sockets accept connections. It stops on `stop()`,
/// on deinit, or when the context shuts down. `authorize` runs on the handler thread
/// and every handshake of the context waits for it, so keep it to a quick lookup.
public final class ZAPHandler: Sendable {
    /// The endpoint libzmq sends ZAP requests to (fixed by RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    private let thread: ConfinedThread<ZMQError?>
    /// A pipe: writing a byte to `wakeWrite` tells the thread to stop; its poller watches `wakeRead`.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Whether the thread was joined and the pipe closed.
    private let stopped = Mutex<Bool>(false)

    /// Starts the handler thread and returns once its socket is bound (blocking briefly).
    /// - Throws: the bind error (e.g. `EADDRINUSE` if the context already has a handler),
    ///   or a system error if the thread or pipe cannot be created.
    public init(
        context: ZMQContext, authorize: @escaping @Sendable (ZAPRequest) -> ZAPDecision
    ) throws(ZMQError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ZMQError(errno: errno, call: "pipe") }
        // Only one byte is ever written (stop() runs once), so blocking mode is fine.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let wakeRead = fds[0]
        let bound = BindSignal()
        do {
            thread = try ConfinedThread(name: "zmq.zap") { () -> ZMQError? in
                ZAPHandler.serve(context: context, wakeRead: wakeRead, bound: bound, authorize: authorize)
            }
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
        if let error = bound.wait() {
            // The thread has already returned; deinit joins it and closes the pipe.
            throw error
        }
    }

    deinit { stop() }

    /// False once the thread has ended (after `stop()` or a context shutdown).
    public var isRunning: Bool { !thread.isFinished }

    /// Stops the thread and waits for it. Idempotent.
    /// - Returns: on the first call, the error that ended the thread early, if any
    ///   (a context shutdown is a clean end, not an error).
    @discardableResult
    public func stop() -> ZMQError? {
        stopped.withLock { stopped -> ZMQError? in
            guard !stopped else { return nil }
            stopped = true
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            let result = thread.join()
            close(wakeRead)
            close(wakeWrite)
            return result
        }
    }

    /// The thread's body: serve until woken, terminated, or failed.
    private static func serve(
        context: ZMQContext, wakeRead: Int32, bound: BindSignal,
        authorize: @Sendable (ZAPRequest) -> ZAPDecision
    ) -> ZMQError? {
        let socket: Socket
        do {
            socket = try context.makeSocket(.rep)
            try socket.set(.linger, 0)
            try socket.bind(endpoint)
        } catch {
            bound.signal(error)
            return nil
        }
        bound.signal(nil)
        defer { socket.close() }

        do {
            var poller = Poller()
            let zap = try poller.add(socket, events: .pollIn)
            let wake = poller.add(fileDescriptor: wakeRead, events: .pollIn)
            while true {
                let ready = try poller.poll(timeoutMilliseconds: -1)
                if ready.isReadable(wake) { return nil }
                guard ready.isReadable(zap), let frames = try socket.receiveMultipart(dontWait: true) else {
                    continue
                }
                // REP requires a reply to every request, even a malformed one.
                try socket.sendMultipart(reply(to: frames, authorize: authorize))
            }
        } catch {
            return error.isTerminated ? nil : error
        }
    }

    static let version: [UInt8] = Array("1.0".utf8)

    /// The reply frames for one request (RFC 27): version, request id, status code,
    /// status text, user id, metadata.
    static func reply(to frames: [[UInt8]], authorize: (ZAPRequest) -> ZAPDecision) -> [[UInt8]] {
        func answer(_ requestId: [UInt8], _ status: Int, _ text: String, _ userId: String) -> [[UInt8]] {
            [version, requestId, Array(String(status).utf8), Array(text.utf8), Array(userId.utf8), []]
        }
        let requestId = frames.count > 1 ? frames[1] : []
        guard let request = parse(frames) else {
            return answer(requestId, 500, "Malformed ZAP request", "")
        }
        switch authorize(request) {
        case .allow(let userId):
            return answer(requestId, 200, "OK", userId)
        case .deny(let status, let reason):
            let code = [300, 400, 500].contains(status) ? status : 500
            return answer(requestId, code, reason, "")
        }
    }

    /// nil for anything that is not a well-formed version 1.0 request.
    static func parse(_ frames: [[UInt8]]) -> ZAPRequest? {
        guard frames.count >= 6, frames[0] == version else { return nil }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        var request = ZAPRequest(
            domain: text(frames[2]), address: text(frames[3]), routingId: frames[4], mechanism: text(frames[5]))
        let credentials = frames.dropFirst(6)
        switch request.mechanism {
        case "NULL":
            guard credentials.isEmpty else { return nil }
        case "PLAIN":
            guard credentials.count == 2 else { return nil }
            request.username = text(credentials[credentials.startIndex])
            request.password = text(credentials[credentials.startIndex + 1])
        case "CURVE":
            guard credentials.count == 1, credentials[credentials.startIndex].count == CurveKeyPair.keySize else {
                return nil
            }
            request.curvePublicKey = credentials[credentials.startIndex]
        default:
            return nil
        }
        return request
    }
}

/// Carries the bind outcome from the handler thread to `ZAPHandler.init`;
/// `outcome` is guarded by its Mutex, `semaphore` orders the hand-over.
private final class BindSignal: Sendable {
    private let outcome = Mutex<ZMQError?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    func signal(_ error: ZMQError?) {
        outcome.withLock { $0 = error }
        semaphore.signal()
    }

    func wait() -> ZMQError? {
        semaphore.wait()
        return outcome.withLock { $0 }
    }
}
