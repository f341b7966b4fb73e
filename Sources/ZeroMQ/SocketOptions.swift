import CZeroMQ

/// A typed socket option: `try socket.set(.sendHighWaterMark, 10_000)`,
/// `try socket.get(.linger)`. Some options are set-only or get-only in libzmq;
/// the other direction fails with `EINVAL`. Durations are in milliseconds.
public struct SocketOption<Value>: Sendable, Hashable, CustomStringConvertible {
    /// The `ZMQ_*` option number.
    public let code: Int32
    /// The `ZMQ_*` name, used in errors.
    public let name: String
    /// libzmq reads some integer options as `int64_t`, most as `int`.
    let isInt64: Bool
    /// Buffer size for reading binary options (CURVE keys must be read as exactly 32 bytes).
    let readSize: Int

    init(_ code: Int32, _ name: String, isInt64: Bool = false, readSize: Int = 256) {
        self.code = code
        self.name = name
        self.isInt64 = isInt64
        self.readSize = readSize
    }

    public var description: String { name }
}

extension SocketOption where Value == Int {
    /// `ZMQ_SNDHWM`: messages queued per peer before send blocks or drops (0 = unbounded).
    public static var sendHighWaterMark: Self { .init(ZMQ_SNDHWM, "ZMQ_SNDHWM") }
    /// `ZMQ_RCVHWM`: messages queued per peer on the receiving side (0 = unbounded).
    public static var receiveHighWaterMark: Self { .init(ZMQ_RCVHWM, "ZMQ_RCVHWM") }
    /// `ZMQ_MAXMSGSIZE`: larger inbound messages drop the connection (-1 = no limit).
    /// Enforced by the wire decoder, so not over inproc.
    public static var maxMessageSize: Self { .init(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", isInt64: true) }
    /// `ZMQ_LINGER`: how long close waits to flush pending messages (-1 = forever).
    public static var linger: Self { .init(ZMQ_LINGER, "ZMQ_LINGER") }
    /// `ZMQ_HEARTBEAT_IVL`: interval between ZMTP PINGs (0 = off).
    public static var heartbeatInterval: Self { .init(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL") }
    /// `ZMQ_HEARTBEAT_TIMEOUT`: drop the connection if no traffic arrives this long after a PING.
    public static var heartbeatTimeout: Self { .init(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT") }
    /// `ZMQ_HEARTBEAT_TTL`: the timeout asked of the peer (rounded down to 100 ms).
    public static var heartbeatTTL: Self { .init(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL") }
    /// `ZMQ_RECONNECT_IVL`: first reconnect delay (-1 = never reconnect).
    public static var reconnectInterval: Self { .init(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL") }
    /// `ZMQ_RECONNECT_IVL_MAX`: cap of the exponential reconnect back-off (0 = no back-off).
    public static var reconnectIntervalMax: Self { .init(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX") }
    /// `ZMQ_HANDSHAKE_IVL`: time allowed for the ZMTP/security handshake (0 = unlimited).
    public static var handshakeInterval: Self { .init(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL") }
    /// `ZMQ_RCVTIMEO`: a blocking receive gives up (returns nil) after this (-1 = never).
    public static var receiveTimeout: Self { .init(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO") }
    /// `ZMQ_SNDTIMEO`: a blocking send gives up (returns false) after this (-1 = never).
    public static var sendTimeout: Self { .init(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO") }
    /// `ZMQ_TCP_KEEPALIVE`: -1 = OS default, 0 = off, 1 = on.
    public static var tcpKeepalive: Self { .init(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE") }
    /// `ZMQ_TCP_KEEPALIVE_IDLE`, in seconds (-1 = OS default).
    public static var tcpKeepaliveIdle: Self { .init(ZMQ_TCP_KEEPALIVE_IDLE, "ZMQ_TCP_KEEPALIVE_IDLE") }
    /// `ZMQ_TCP_KEEPALIVE_CNT` (-1 = OS default).
    public static var tcpKeepaliveCount: Self { .init(ZMQ_TCP_KEEPALIVE_CNT, "ZMQ_TCP_KEEPALIVE_CNT") }
    /// `ZMQ_TCP_KEEPALIVE_INTVL`, in seconds (-1 = OS default).
    public static var tcpKeepaliveInterval: Self { .init(ZMQ_TCP_KEEPALIVE_INTVL, "ZMQ_TCP_KEEPALIVE_INTVL") }
    /// `ZMQ_BACKLOG`: pending TCP connections queue length.
    public static var backlog: Self { .init(ZMQ_BACKLOG, "ZMQ_BACKLOG") }
    /// `ZMQ_SNDBUF`: kernel send buffer size in bytes (-1 = OS default).
    public static var sendBuffer: Self { .init(ZMQ_SNDBUF, "ZMQ_SNDBUF") }
    /// `ZMQ_RCVBUF`: kernel receive buffer size in bytes (-1 = OS default).
    public static var receiveBuffer: Self { .init(ZMQ_RCVBUF, "ZMQ_RCVBUF") }
    /// `ZMQ_FD` (get-only); prefer `Socket.fileDescriptor`.
    public static var fileDescriptor: Self { .init(ZMQ_FD, "ZMQ_FD") }
    /// `ZMQ_EVENTS` (get-only); prefer `Socket.events`.
    public static var events: Self { .init(ZMQ_EVENTS, "ZMQ_EVENTS") }
    /// `ZMQ_MECHANISM` (get-only): `ZMQ_NULL`, `ZMQ_PLAIN` or `ZMQ_CURVE`.
    public static var mechanism: Self { .init(ZMQ_MECHANISM, "ZMQ_MECHANISM") }
}

extension SocketOption where Value == Bool {
    /// `ZMQ_ROUTER_MANDATORY`: sending to an unknown routing id fails with `EHOSTUNREACH`
    /// instead of being dropped (set-only).
    public static var routerMandatory: Self { .init(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY") }
    /// `ZMQ_ROUTER_HANDOVER`: a new peer with a known routing id takes it over (set-only).
    public static var routerHandover: Self { .init(ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER") }
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    public static var immediate: Self { .init(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE") }
    /// `ZMQ_XPUB_MANUAL`: subscriptions are not applied automatically; the application
    /// reads each request and grants a prefix with `subscribe(_:)` on the XPUB (set-only).
    public static var xpubManual: Self { .init(ZMQ_XPUB_MANUAL, "ZMQ_XPUB_MANUAL") }
    /// `ZMQ_XPUB_VERBOSE`: pass on duplicate subscribe messages (set-only).
    public static var xpubVerbose: Self { .init(ZMQ_XPUB_VERBOSE, "ZMQ_XPUB_VERBOSE") }
    /// `ZMQ_XPUB_VERBOSER`: pass on duplicate subscribe and unsubscribe messages (set-only).
    public static var xpubVerboser: Self { .init(ZMQ_XPUB_VERBOSER, "ZMQ_XPUB_VERBOSER") }
    /// `ZMQ_XPUB_NODROP`: at the HWM, send fails with `EAGAIN` (or blocks) instead of dropping (set-only).
    public static var xpubNoDrop: Self { .init(ZMQ_XPUB_NODROP, "ZMQ_XPUB_NODROP") }
    /// `ZMQ_PLAIN_SERVER`: act as PLAIN server.
    public static var plainServer: Self { .init(ZMQ_PLAIN_SERVER, "ZMQ_PLAIN_SERVER") }
    /// `ZMQ_CURVE_SERVER`: act as CURVE server.
    public static var curveServer: Self { .init(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER") }
    /// `ZMQ_IPV6`: allow IPv6 on TCP endpoints.
    public static var ipv6: Self { .init(ZMQ_IPV6, "ZMQ_IPV6") }
    /// `ZMQ_RCVMORE` (get-only): the last frame received has more frames after it.
    public static var receiveMore: Self { .init(ZMQ_RCVMORE, "ZMQ_RCVMORE") }
}

extension SocketOption where Value == String {
    /// `ZMQ_ZAP_DOMAIN`: the domain passed to the ZAP handler.
    public static var zapDomain: Self { .init(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN") }
    /// `ZMQ_PLAIN_USERNAME`: makes the socket a PLAIN client.
    public static var plainUsername: Self { .init(ZMQ_PLAIN_USERNAME, "ZMQ_PLAIN_USERNAME") }
    /// `ZMQ_PLAIN_PASSWORD`.
    public static var plainPassword: Self { .init(ZMQ_PLAIN_PASSWORD, "ZMQ_PLAIN_PASSWORD") }
    /// `ZMQ_LAST_ENDPOINT` (get-only); prefer `Socket.lastEndpoint`.
    public static var lastEndpoint: Self { .init(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT") }
}

extension SocketOption where Value == [UInt8] {
    /// `ZMQ_ROUTING_ID`: this socket's identity as seen by a ROUTER peer (1–255 bytes, not starting with 0).
    public static var routingId: Self { .init(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID") }
    /// `ZMQ_SUBSCRIBE` (set-only); prefer `Socket.subscribe(_:)`.
    public static var subscribe: Self { .init(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE") }
    /// `ZMQ_UNSUBSCRIBE` (set-only); prefer `Socket.unsubscribe(_:)`.
    public static var unsubscribe: Self { .init(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE") }
    /// `ZMQ_CURVE_PUBLICKEY` (32 raw bytes).
    public static var curvePublicKey: Self { .init(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", readSize: 32) }
    /// `ZMQ_CURVE_SECRETKEY` (32 raw bytes).
    public static var curveSecretKey: Self { .init(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", readSize: 32) }
    /// `ZMQ_CURVE_SERVERKEY` (32 raw bytes): the server's public key, set on a client.
    public static var curveServerKey: Self { .init(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", readSize: 32) }
}

/// Readiness flags of `zmq_poll` and `ZMQ_EVENTS`.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one message can be received without blocking.
    public static let pollIn = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking.
    public static let pollOut = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// Error condition (raw file descriptors only).
    public static let pollError = PollEvents(rawValue: Int16(ZMQ_POLLERR))
    /// Urgent data (raw file descriptors only).
    public static let pollPriority = PollEvents(rawValue: Int16(ZMQ_POLLPRI))
}

extension Socket {
    // MARK: - Typed get/set

    public func set(_ option: SocketOption<Int>, _ value: Int) throws(ZMQError) {
        if option.isInt64 {
            var v = Int64(value)
            try setRaw(option, &v, MemoryLayout<Int64>.size)
        } else {
            guard var v = Int32(exactly: value) else {
                throw ZMQError.invalid("zmq_setsockopt", "\(option.name): \(value) does not fit in a C int")
            }
            try setRaw(option, &v, MemoryLayout<Int32>.size)
        }
    }

    public func set(_ option: SocketOption<Bool>, _ value: Bool) throws(ZMQError) {
        var v: Int32 = value ? 1 : 0
        try setRaw(option, &v, MemoryLayout<Int32>.size)
    }

    public func set(_ option: SocketOption<String>, _ value: String) throws(ZMQError) {
        var utf8 = Array(value.utf8)
        try setRaw(option, &utf8, utf8.count)
    }

    public func set(_ option: SocketOption<[UInt8]>, _ value: [UInt8]) throws(ZMQError) {
        var value = value
        try setRaw(option, &value, value.count)
    }

    public func get(_ option: SocketOption<Int>) throws(ZMQError) -> Int {
        if option.isInt64 {
            var v: Int64 = 0
            var size = MemoryLayout<Int64>.size
            try getRaw(option, &v, &size)
            return Int(v)
        }
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try getRaw(option, &v, &size)
        return Int(v)
    }

    public func get(_ option: SocketOption<Bool>) throws(ZMQError) -> Bool {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try getRaw(option, &v, &size)
        return v != 0
    }

    public func get(_ option: SocketOption<String>) throws(ZMQError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        try getRaw(option, &buffer, &size)
        // libzmq counts the terminating NUL in `size`.
        let text = buffer.prefix(size).prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }

    public func get(_ option: SocketOption<[UInt8]>) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: option.readSize)
        var size = buffer.count
        try getRaw(option, &buffer, &size)
        return Array(buffer.prefix(size))
    }

    private func setRaw<V>(_ option: SocketOption<V>, _ value: UnsafeRawPointer, _ size: Int) throws(ZMQError) {
        let s = try open("zmq_setsockopt")
        try zmqCheck("zmq_setsockopt", detail: option.name) { zmq_setsockopt(s, option.code, value, size) }
    }

    private func getRaw<V>(
        _ option: SocketOption<V>, _ value: UnsafeMutableRawPointer, _ size: UnsafeMutablePointer<Int>
    ) throws(ZMQError) {
        let s = try open("zmq_getsockopt")
        try zmqCheck("zmq_getsockopt", detail: option.name) { zmq_getsockopt(s, option.code, value, size) }
    }

    // MARK: - Conveniences

    /// On SUB/XSUB: receive messages starting with `prefix` (empty = everything).
    /// On an XPUB with `xpubManual`: grant `prefix` to the subscriber whose subscription
    /// message was received last.
    public func subscribe(_ prefix: [UInt8]) throws(ZMQError) {
        try set(.subscribe, prefix)
    }

    public func subscribe(_ prefix: String) throws(ZMQError) {
        try set(.subscribe, Array(prefix.utf8))
    }

    public func unsubscribe(_ prefix: [UInt8]) throws(ZMQError) {
        try set(.unsubscribe, prefix)
    }

    public func unsubscribe(_ prefix: String) throws(ZMQError) {
        try set(.unsubscribe, Array(prefix.utf8))
    }

    /// `ZMQ_EVENTS`: whether the socket can be read or written now. Reading it also
    /// processes pending commands, as edge-triggered use of `fileDescriptor` requires.
    public var events: PollEvents {
        get throws(ZMQError) { PollEvents(rawValue: Int16(truncatingIfNeeded: try get(.events))) }
    }

    /// `ZMQ_FD`: an edge-triggered descriptor that becomes readable when `events` may
    /// have changed, for integrating with another event loop.
    public var fileDescriptor: Int32 {
        get throws(ZMQError) { Int32(truncatingIfNeeded: try get(.fileDescriptor)) }
    }

    /// `ZMQ_RCVMORE`: more frames of the current message are waiting.
    public var hasMore: Bool {
        get throws(ZMQError) { try get(.receiveMore) }
    }

    /// Makes the socket a PLAIN server (credentials go to the ZAP handler).
    public func makePlainServer() throws(ZMQError) {
        try set(.plainServer, true)
    }

    /// Makes the socket a PLAIN client.
    public func makePlainClient(username: String, password: String) throws(ZMQError) {
        try set(.plainUsername, username)
        try set(.plainPassword, password)
    }
}
