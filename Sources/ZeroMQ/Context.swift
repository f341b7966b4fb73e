import CZeroMQ

/// A libzmq context: owns the I/O threads and creates sockets.
///
/// `@unchecked Sendable` is sound because libzmq contexts are thread-safe: the
/// `zmq_ctx_*` functions and `zmq_socket` are documented as safe to call from any
/// thread, and this class holds no other mutable state.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - ioThreads: libzmq I/O threads (`ZMQ_IO_THREADS`).
    ///   - blocky: `ZMQ_BLOCKY`. The default `false` gives new sockets a linger of 0, so
    ///     closing sockets and terminating the context never hang on unsent messages.
    ///     Set `.linger` on a socket that must flush before it closes.
    public init(ioThreads: Int = 1, blocky: Bool = false) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        // Cleanup on failure happens in deinit, which runs for a partially built class
        // only once every stored property is set, as it is here.
        try zmqCheck("zmq_ctx_set", detail: "ZMQ_IO_THREADS") {
            zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: ioThreads))
        }
        try zmqCheck("zmq_ctx_set", detail: "ZMQ_BLOCKY") {
            zmq_ctx_set(handle, ZMQ_BLOCKY, blocky ? 1 : 0)
        }
    }

    /// Terminates the context; blocks until every socket of it is closed.
    /// Sockets keep their context alive, so by now they are all gone.
    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Creates a socket confined to the calling thread.
    public func makeSocket(_ type: SocketType) throws(ZMQError) -> Socket {
        guard let raw = zmq_socket(handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket", detail: "\(type)")
        }
        return Socket(handle: raw, type: type, context: self)
    }

    /// `zmq_ctx_shutdown`: every blocking call on this context's sockets, in any thread,
    /// returns `ETERM` (`ZMQError.isTerminated`) from now on, and new sockets can't be made.
    /// Sockets must still be closed (or released) for the context to terminate.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// The version of the libzmq loaded at run time.
    public static var libraryVersion: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// `zmq_has`: whether libzmq supports a capability ("curve", "ipc", "draft", ...).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
