import CZeroMQ

#if canImport(FoundationEssentials)
import FoundationEssentials  // ContiguousBytes, without all of Foundation
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The ZeroMQ socket types of the stable API.
public enum SocketType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case pair, pub, sub, xpub, xsub, dealer, router, push, pull, req, rep

    var rawValue: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        }
    }

    public var description: String {
        switch self {
        case .pair: "PAIR"
        case .pub: "PUB"
        case .sub: "SUB"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .push: "PUSH"
        case .pull: "PULL"
        case .req: "REQ"
        case .rep: "REP"
        }
    }
}

/// A ZeroMQ socket.
///
/// libzmq sockets are not thread-safe, so a socket is confined to the thread that
/// created it: create it on a dedicated thread (see `ConfinedThread`) and use and
/// close it there. It is deliberately not `Sendable`.
public final class Socket {
    /// nil once closed.
    private(set) var handle: UnsafeMutableRawPointer?
    /// The socket type given at creation.
    public let type: SocketType
    /// Keeps the context alive (zmq_ctx_term would block) while the socket is open.
    public let context: ZMQContext

    init(handle: UnsafeMutableRawPointer, type: SocketType, context: ZMQContext) {
        self.handle = handle
        self.type = type
        self.context = context
    }

    deinit { close() }

    /// Closes the socket. Idempotent; further calls on the socket throw `ENOTSOCK`.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        _ = zmq_close(handle)
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { handle == nil }

    @inline(__always)
    func open(_ call: StaticString) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError.closed(call) }
        return handle
    }

    // MARK: - Endpoints

    /// Binds to an endpoint, e.g. `tcp://127.0.0.1:*` (then read `lastEndpoint`).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let s = try open("zmq_bind")
        try zmqCheck("zmq_bind", detail: endpoint) { zmq_bind(s, endpoint) }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        let s = try open("zmq_connect")
        try zmqCheck("zmq_connect", detail: endpoint) { zmq_connect(s, endpoint) }
    }

    /// Takes the resolved endpoint (as in `lastEndpoint`) for wildcard binds.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let s = try open("zmq_unbind")
        try zmqCheck("zmq_unbind", detail: endpoint) { zmq_unbind(s, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let s = try open("zmq_disconnect")
        try zmqCheck("zmq_disconnect", detail: endpoint) { zmq_disconnect(s, endpoint) }
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint last bound, with the port a `*` bind chose.
    public var lastEndpoint: String {
        get throws(ZMQError) { try get(.lastEndpoint) }
    }

    // MARK: - Sending

    @inline(__always)
    private static func flags(more: Bool, dontWait: Bool) -> Int32 {
        (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    }

    /// Sends one frame, copying the bytes into libzmq.
    /// - Returns: false if `dontWait` and the socket would block (`EAGAIN`, or `SNDTIMEO` expired).
    @discardableResult
    public func send(
        _ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        let s = try open("zmq_send")
        let flags = Self.flags(more: more, dontWait: dontWait)
        return try zmqCall("zmq_send") {
            zmq_send(s, bytes.baseAddress, bytes.count, flags)
        } != .wouldBlock
    }

    /// Sends one frame, copying the bytes into libzmq.
    @discardableResult
    public func send(
        _ bytes: [UInt8], more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        let s = try open("zmq_send")
        let flags = Self.flags(more: more, dontWait: dontWait)
        return try zmqCall("zmq_send") {
            bytes.withUnsafeBytes { zmq_send(s, $0.baseAddress, $0.count, flags) }
        } != .wouldBlock
    }

    /// Sends one frame from any contiguous byte storage (`Data`, `ArraySlice<UInt8>`, ...).
    @discardableResult
    public func send(
        _ bytes: some ContiguousBytes, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        let s = try open("zmq_send")
        let flags = Self.flags(more: more, dontWait: dontWait)
        return try zmqCall("zmq_send") {
            bytes.withUnsafeBytes { zmq_send(s, $0.baseAddress, $0.count, flags) }
        } != .wouldBlock
    }

    /// Sends the UTF-8 bytes of a string as one frame.
    @discardableResult
    public func send(
        _ text: String, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        var text = text
        // withUTF8 only rethrows untyped errors, so carry the typed one out in a Result.
        return try text.withUTF8 { utf8 in
            Result { () throws(ZMQError) -> Bool in
                try send(UnsafeRawBufferPointer(utf8), more: more, dontWait: dontWait)
            }
        }.get()
    }

    /// Sends a message without copying its bytes; libzmq takes its content.
    /// If the send would block (`dontWait`), the message is dropped and false returned;
    /// use `send(_:inout Message ...)` to keep it for a retry.
    @discardableResult
    public func send(
        _ message: consuming Message, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        try send(&message, more: more, dontWait: dontWait)
    }

    /// Sends a message without copying its bytes. On success `message` is left empty;
    /// on `EAGAIN` (false) it is untouched, so it can be sent again.
    @discardableResult
    public func send(
        _ message: inout Message, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        let s = try open("zmq_msg_send")
        let flags = Self.flags(more: more, dontWait: dontWait)
        return try zmqCall("zmq_msg_send") {
            zmq_msg_send(&message.raw, s, flags)
        } != .wouldBlock
    }

    /// Sends the frames as one multipart message (each frame copied into libzmq).
    ///
    /// Only the first frame honours `dontWait`: libzmq delivers multipart messages
    /// atomically, so once the first frame is accepted the rest cannot block.
    /// - Returns: false if the first frame would block.
    @discardableResult
    public func sendMultipart<Frames: Collection>(
        _ frames: Frames, dontWait: Bool = false
    ) throws(ZMQError) -> Bool where Frames.Element: ContiguousBytes {
        guard !frames.isEmpty else {
            throw ZMQError.invalid("zmq_send", "a multipart message needs at least one frame")
        }
        let s = try open("zmq_send")
        var index = frames.startIndex
        var first = true
        while index != frames.endIndex {
            let next = frames.index(after: index)
            let flags = Self.flags(more: next != frames.endIndex, dontWait: first && dontWait)
            let result = try zmqCall("zmq_send") {
                frames[index].withUnsafeBytes { zmq_send(s, $0.baseAddress, $0.count, flags) }
            }
            if result == .wouldBlock {
                if first { return false }
                // Cannot happen with libzmq's atomic multipart delivery; don't truncate silently.
                throw ZMQError(errno: EAGAIN, call: "zmq_send", detail: "later frame of a multipart message")
            }
            first = false
            index = next
        }
        return true
    }

    // MARK: - Receiving

    /// Receives one frame.
    /// - Returns: nil if `dontWait` and nothing is queued, or `RCVTIMEO` expired.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> Message? {
        var message = Message()
        guard try receive(into: &message, dontWait: dontWait) else { return nil }
        return message
    }

    /// Receives one frame into an existing message (its old content is released),
    /// which saves initialising a new `zmq_msg_t` per frame in hot loops.
    /// - Returns: false on `EAGAIN`.
    public func receive(into message: inout Message, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let s = try open("zmq_msg_recv")
        let flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        return try zmqCall("zmq_msg_recv") {
            zmq_msg_recv(&message.raw, s, flags)
        } != .wouldBlock
    }

    /// Receives every frame of one message, handing each to `body` in order without
    /// copying (read `frame.more` to tell the last). The first frame honours `dontWait`;
    /// the others are already queued, as libzmq delivers multipart messages atomically.
    /// - Returns: false if nothing was queued.
    public func receiveEachFrame(
        dontWait: Bool = false, _ body: (borrowing Message) -> Void
    ) throws(ZMQError) -> Bool {
        var frame = Message()
        guard try receive(into: &frame, dontWait: dontWait) else { return false }
        body(frame)
        while frame.more {
            guard try receive(into: &frame, dontWait: false) else {
                throw ZMQError(errno: EAGAIN, call: "zmq_msg_recv", detail: "later frame of a multipart message")
            }
            body(frame)
        }
        return true
    }

    /// Receives every frame of one message as byte arrays.
    /// - Returns: nil if nothing was queued (`dontWait`) or `RCVTIMEO` expired.
    public func receiveMultipart(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        guard try receiveEachFrame(dontWait: dontWait, { frames.append($0.bytes) }) else { return nil }
        return frames
    }

    /// Receives every frame of one message, plus the connection metadata
    /// (`User-Id` set by the ZAP handler, `Peer-Address`) read from the last frame.
    public func receiveFrames(dontWait: Bool = false) throws(ZMQError) -> ReceivedFrames? {
        var frames: [[UInt8]] = []
        var userId: String?
        var peerAddress: String?
        let received = try receiveEachFrame(dontWait: dontWait) { frame in
            frames.append(frame.bytes)
            if !frame.more {
                userId = frame.metadata("User-Id")
                peerAddress = frame.metadata("Peer-Address")
            }
        }
        guard received else { return nil }
        return ReceivedFrames(frames: frames, userId: userId, peerAddress: peerAddress)
    }
}

@available(*, unavailable, message: "a Socket is confined to the thread that created it")
extension Socket: Sendable {}

/// A whole multipart message with the metadata of the connection it came from.
public struct ReceivedFrames: Sendable, Equatable {
    public var frames: [[UInt8]]
    /// `User-Id` metadata: the user id the ZAP handler returned for the peer, if any.
    public var userId: String?
    /// `Peer-Address` metadata (TCP peers only).
    public var peerAddress: String?

    public init(frames: [[UInt8]], userId: String? = nil, peerAddress: String? = nil) {
        self.frames = frames
        self.userId = userId
        self.peerAddress = peerAddress
    }
}
