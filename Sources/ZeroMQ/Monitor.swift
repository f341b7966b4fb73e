import CZeroMQ
import Synchronization

/// Which socket events a monitor reports (`ZMQ_EVENT_*`).
public struct MonitorEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let connected = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
    public static let connectDelayed = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED))
    public static let connectRetried = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED))
    public static let listening = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_LISTENING))
    public static let bindFailed = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED))
    public static let accepted = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
    public static let acceptFailed = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED))
    public static let closed = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSED))
    public static let closeFailed = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSE_FAILED))
    public static let disconnected = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
    public static let monitorStopped = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
    public static let handshakeFailedNoDetail = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
    public static let handshakeSucceeded = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
    public static let handshakeFailedProtocol = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
    public static let handshakeFailedAuth = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
    public static let all = MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ALL))
    /// Every handshake failure.
    public static let handshakeFailed: MonitorEvents = [
        .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth,
    ]
}

/// One decoded socket monitor message.
public struct MonitorEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case connected(fd: Int32)
        case connectDelayed
        case connectRetried(intervalMilliseconds: Int)
        case listening(fd: Int32)
        case bindFailed(errno: Int32)
        case accepted(fd: Int32)
        case acceptFailed(errno: Int32)
        case closed(fd: Int32)
        case closeFailed(errno: Int32)
        case disconnected(fd: Int32)
        case monitorStopped
        case handshakeFailedNoDetail(errno: Int32)
        case handshakeSucceeded
        /// `code` is a `ZMQ_PROTOCOL_ERROR_*` value (e.g. 0x11000001: cryptographic error).
        case handshakeFailedProtocol(code: UInt32)
        /// `status` is the ZAP status code, e.g. 400.
        case handshakeFailedAuth(status: Int)
        case unknown(event: UInt16, value: UInt32)
    }

    public let kind: Kind
    /// The endpoint the event is about.
    public let address: String
    /// The raw event number (one `MonitorEvents` flag).
    public let event: MonitorEvents
    /// The raw 32-bit value (fd, errno, interval or status, depending on the event).
    public let value: UInt32

    public init(event: UInt16, value: UInt32, address: String) {
        self.event = MonitorEvents(rawValue: event)
        self.value = value
        self.address = address
        let signed = Int32(bitPattern: value)
        switch Int32(event) {
        case ZMQ_EVENT_CONNECTED: kind = .connected(fd: signed)
        case ZMQ_EVENT_CONNECT_DELAYED: kind = .connectDelayed
        case ZMQ_EVENT_CONNECT_RETRIED: kind = .connectRetried(intervalMilliseconds: Int(value))
        case ZMQ_EVENT_LISTENING: kind = .listening(fd: signed)
        case ZMQ_EVENT_BIND_FAILED: kind = .bindFailed(errno: signed)
        case ZMQ_EVENT_ACCEPTED: kind = .accepted(fd: signed)
        case ZMQ_EVENT_ACCEPT_FAILED: kind = .acceptFailed(errno: signed)
        case ZMQ_EVENT_CLOSED: kind = .closed(fd: signed)
        case ZMQ_EVENT_CLOSE_FAILED: kind = .closeFailed(errno: signed)
        case ZMQ_EVENT_DISCONNECTED: kind = .disconnected(fd: signed)
        case ZMQ_EVENT_MONITOR_STOPPED: kind = .monitorStopped
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: kind = .handshakeFailedNoDetail(errno: signed)
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: kind = .handshakeSucceeded
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: kind = .handshakeFailedProtocol(code: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: kind = .handshakeFailedAuth(status: Int(value))
        default: kind = .unknown(event: event, value: value)
        }
    }

    /// Decodes the two frames of a monitor message: 16-bit event and 32-bit value in
    /// host byte order, then the address. nil if the frames don't have that shape.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let (event, value) = frames[0].withUnsafeBytes { raw in
            (raw.loadUnaligned(as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        self.init(event: event, value: value, address: String(decoding: frames[1], as: UTF8.self))
    }
}

/// Numbers the monitor endpoints made by `Socket.makeMonitor`.
private let monitorCounter = Atomic<Int>(0)

extension Socket {
    /// `zmq_socket_monitor`: publish this socket's `events` on a PAIR socket bound to
    /// `endpoint` (inproc). Read them with a `SocketMonitor` connected to it.
    public func monitor(endpoint: String, events: MonitorEvents = .all) throws(ZMQError) {
        let s = try open("zmq_socket_monitor")
        try zmqCheck("zmq_socket_monitor", detail: endpoint) {
            zmq_socket_monitor(s, endpoint, Int32(events.rawValue))
        }
    }

    /// Stops the monitor started by `monitor(endpoint:events:)`.
    public func stopMonitoring() throws(ZMQError) {
        let s = try open("zmq_socket_monitor")
        try zmqCheck("zmq_socket_monitor") { zmq_socket_monitor(s, nil, 0) }
    }

    /// Starts monitoring on a fresh inproc endpoint and returns the connected reader,
    /// confined to the calling thread like this socket.
    public func makeMonitor(events: MonitorEvents = .all) throws(ZMQError) -> SocketMonitor {
        let number = monitorCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let endpoint = "inproc://zeromq.monitor.\(number)"
        try monitor(endpoint: endpoint, events: events)
        return try SocketMonitor(context: context, endpoint: endpoint)
    }
}

/// Reads the events of a monitored socket through a PAIR socket.
/// Confined to the thread that created it.
public final class SocketMonitor {
    /// The PAIR socket, e.g. to add to a `Poller`.
    public let socket: Socket
    public let endpoint: String

    /// Connects to the endpoint given to `Socket.monitor(endpoint:events:)`.
    public init(context: ZMQContext, endpoint: String) throws(ZMQError) {
        socket = try context.makeSocket(.pair)
        self.endpoint = endpoint
        try socket.set(.linger, 0)
        try socket.connect(endpoint)
    }

    /// The next event; nil if none is queued (`dontWait`). Malformed messages are skipped.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> MonitorEvent? {
        while let frames = try socket.receiveMultipart(dontWait: dontWait) {
            if let event = MonitorEvent(frames: frames) { return event }
        }
        return nil
    }

    /// The next event for which `matching` is true, waiting at most `timeoutMilliseconds`
    /// in all; events that don't match are discarded. nil on timeout.
    public func next(
        timeoutMilliseconds: Int, matching: (MonitorEvent) -> Bool = { _ in true }
    ) throws(ZMQError) -> MonitorEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        var poller = Poller()
        try poller.add(socket, events: .pollIn)
        while true {
            while let event = try receive(dontWait: true) {
                if matching(event) { return event }
            }
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
            _ = try poller.poll(timeoutMilliseconds: milliseconds)
        }
    }

    /// Stops reading; the monitored socket's monitor stays active until it is stopped or closed.
    public func close() { socket.close() }
}

@available(*, unavailable, message: "a SocketMonitor owns a socket, which is confined to one thread")
extension SocketMonitor: Sendable {}
