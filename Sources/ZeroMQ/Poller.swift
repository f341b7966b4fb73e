import CZeroMQ

/// Waits on several sockets and raw file descriptors at once (`zmq_poll`).
/// Like its sockets, a poller is confined to one thread.
public struct Poller {
    private var items: [zmq_pollitem_t] = []
    /// Holds the sockets so their handles stay valid while polled.
    private var sockets: [Socket?] = []

    public init() {}

    /// Number of registered items.
    public var count: Int { items.count }

    /// Registers a socket; returns its index in `PollResult`.
    @discardableResult
    public mutating func add(_ socket: Socket, events: PollEvents = .pollIn) throws(ZMQError) -> Int {
        let handle = try socket.open("zmq_poll")
        items.append(zmq_pollitem_t(socket: handle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a raw file descriptor (pipe, eventfd, TCP socket, ...); returns its index.
    @discardableResult
    public mutating func add(fileDescriptor: Int32, events: PollEvents = .pollIn) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes the events waited for on item `index` (e.g. add `.pollOut` while a send is pending).
    public mutating func setEvents(_ events: PollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    /// Waits until an item is ready or the timeout expires.
    /// - Parameter timeoutMilliseconds: -1 waits forever, 0 returns at once.
    /// - Returns: the ready items; a timeout returns an empty result, not an error.
    /// - Throws: `ZMQError` (`isTerminated` when the context of a polled socket shut down).
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> PollResult {
        let timeout = timeoutMilliseconds
        let count = Int32(items.count)
        let result = try items.withUnsafeMutableBufferPointer { (buffer) throws(ZMQError) -> CallResult in
            try zmqCall("zmq_poll") { zmq_poll(buffer.baseAddress, count, timeout) }
        }
        guard case .ok(let ready) = result, ready > 0 else {
            return PollResult(readyCount: 0, revents: [])
        }
        return PollResult(readyCount: Int(ready), revents: items.map { PollEvents(rawValue: $0.revents) })
    }
}

@available(*, unavailable, message: "a Poller holds sockets, which are confined to one thread")
extension Poller: Sendable {}

/// Which items of a `Poller` were ready, by the index `add` returned.
public struct PollResult: Sendable, Equatable {
    /// How many items are ready (0 after a timeout).
    public let readyCount: Int
    /// Ready events per item; empty after a timeout.
    let revents: [PollEvents]

    /// Nothing was ready: the poll timed out.
    public var isEmpty: Bool { readyCount == 0 }

    /// The events ready on item `index`.
    public func events(at index: Int) -> PollEvents {
        revents.indices.contains(index) ? revents[index] : []
    }

    public func isReadable(_ index: Int) -> Bool { events(at: index).contains(.pollIn) }

    public func isWritable(_ index: Int) -> Bool { events(at: index).contains(.pollOut) }

    /// Indexes of the items that can be read.
    public var readable: Set<Int> {
        Set(revents.indices.filter { revents[$0].contains(.pollIn) })
    }

    /// Indexes of the items that can be written.
    public var writable: Set<Int> {
        Set(revents.indices.filter { revents[$0].contains(.pollOut) })
    }
}
