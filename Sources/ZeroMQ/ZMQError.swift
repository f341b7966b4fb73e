import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of this module: a failed libzmq (or system) call.
public struct ZMQError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The `errno` value reported by `zmq_errno()`.
    public let errno: Int32
    /// The libzmq function (or wrapper operation) that failed, e.g. `zmq_bind`.
    public let call: String
    /// `zmq_strerror(errno)`.
    public let message: String
    /// Extra context such as the endpoint or the faulty input, when there is one.
    public let detail: String?

    public init(errno: Int32, call: String, detail: String? = nil) {
        self.errno = errno
        self.call = call
        self.message = String(cString: zmq_strerror(errno))
        self.detail = detail
    }

    /// The context was shut down or terminated (`ETERM`): loops treat this as a clean stop.
    public var isTerminated: Bool { errno == ETERM }

    public var description: String {
        if let detail {
            return "\(call) failed: \(message) (errno \(errno)): \(detail)"
        }
        return "\(call) failed: \(message) (errno \(errno))"
    }

    /// The error libzmq just reported for `call`.
    static func last(_ call: StaticString, detail: String? = nil) -> ZMQError {
        ZMQError(errno: zmq_errno(), call: "\(call)", detail: detail)
    }

    /// Used for operations on a socket after `close()`; libzmq would report the same.
    static func closed(_ call: StaticString) -> ZMQError {
        ZMQError(errno: ENOTSOCK, call: "\(call)", detail: "socket is closed")
    }

    static func invalid(_ call: StaticString, _ detail: String) -> ZMQError {
        ZMQError(errno: EINVAL, call: "\(call)", detail: detail)
    }
}

/// What a non-failing libzmq call produced.
enum CallResult: Equatable {
    /// The call's non-negative return value.
    case ok(Int32)
    /// `EAGAIN`: a non-blocking call would have blocked, or a timeout expired.
    case wouldBlock
}

/// The choke point through which every int-returning libzmq call goes.
///
/// `EINTR` is retried (a signal is not a failure), `EAGAIN` becomes a value because
/// it is an expected outcome of non-blocking calls, and anything else is thrown,
/// including `ETERM`, which callers recognise with `ZMQError.isTerminated`.
@inline(__always)
func zmqCall(
    _ name: StaticString,
    detail: @autoclosure () -> String? = nil,
    _ body: () -> Int32
) throws(ZMQError) -> CallResult {
    while true {
        let rc = body()
        if rc >= 0 { return .ok(rc) }
        let code = zmq_errno()
        switch code {
        case EINTR: continue
        case EAGAIN: return .wouldBlock
        default: throw ZMQError(errno: code, call: "\(name)", detail: detail())
        }
    }
}

/// For calls where `EAGAIN` cannot happen or means failure (bind, setsockopt, ...).
@inline(__always)
func zmqCheck(
    _ name: StaticString,
    detail: @autoclosure () -> String? = nil,
    _ body: () -> Int32
) throws(ZMQError) {
    if case .wouldBlock = try zmqCall(name, detail: detail(), body) {
        throw ZMQError(errno: EAGAIN, call: "\(name)", detail: detail())
    }
}
