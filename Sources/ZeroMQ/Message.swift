import CZeroMQ

/// One frame: owns a `zmq_msg_t`, so sending or receiving it moves bytes without copying.
///
/// Noncopyable because the `zmq_msg_t` must be closed exactly once. A `zmq_msg_t`
/// holds no pointer into itself, so moving the struct around in memory is safe.
public struct Message: ~Copyable {
    var raw: zmq_msg_t

    /// An empty message, e.g. to receive into.
    public init() {
        var raw = zmq_msg_t()
        zmq_msg_init(&raw)  // cannot fail
        self.raw = raw
    }

    /// A message of `count` bytes whose content is written by `initialize`, for building
    /// a large payload straight in libzmq's buffer.
    public init(count: Int, initializingWith initialize: (UnsafeMutableRawBufferPointer) -> Void) throws(ZMQError) {
        var raw = zmq_msg_t()
        try zmqCheck("zmq_msg_init_size") { zmq_msg_init_size(&raw, count) }
        initialize(UnsafeMutableRawBufferPointer(start: zmq_msg_data(&raw), count: count))
        self.raw = raw
    }

    /// A message holding a copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        try self.init(count: bytes.count) { $0.copyMemory(from: bytes) }
    }

    /// A message holding a copy of `bytes`.
    public init(copying bytes: some Collection<UInt8>) throws(ZMQError) {
        try self.init(count: bytes.count) { $0.copyBytes(from: bytes) }
    }

    /// A message holding the UTF-8 bytes of `text`.
    public init(_ text: String) throws(ZMQError) {
        try self.init(copying: text.utf8)
    }

    /// A message that takes ownership of `buffer` without copying it (`zmq_msg_init_data`).
    /// The buffer must come from `UnsafeMutableRawBufferPointer.allocate`; libzmq
    /// deallocates it, possibly on one of its I/O threads, when the last reference goes.
    /// It is also deallocated if this initializer throws.
    public init(taking buffer: UnsafeMutableRawBufferPointer) throws(ZMQError) {
        var raw = zmq_msg_t()
        if let base = buffer.baseAddress {
            do {
                try zmqCheck("zmq_msg_init_data") {
                    zmq_msg_init_data(&raw, base, buffer.count, { data, _ in data?.deallocate() }, nil)
                }
            } catch {
                buffer.deallocate()
                throw error
            }
        } else {
            zmq_msg_init(&raw)
        }
        self.raw = raw
    }

    deinit {
        var raw = raw
        zmq_msg_close(&raw)
    }

    /// Another message sharing this one's content (`zmq_msg_copy`: reference counted, no byte copy),
    /// e.g. to send the same payload on several sockets. Mutating because libzmq marks
    /// the source as shared, so that closing it does not free the content.
    public mutating func copy() throws(ZMQError) -> Message {
        var copy = Message()
        try zmqCheck("zmq_msg_copy") { zmq_msg_copy(&copy.raw, &raw) }
        return copy
    }

    /// Size in bytes.
    public var count: Int {
        withUnsafePointer(to: raw) { zmq_msg_size($0) }
    }

    /// Whether more frames of the same multipart message follow (after a receive).
    public var more: Bool {
        withUnsafePointer(to: raw) { zmq_msg_more($0) != 0 }
    }

    /// Read-only access to the content without copying it. Received content may be
    /// shared with other messages, which is why there is no mutable access.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try withUnsafePointer(to: raw) { (pointer) throws(E) -> R in
            // zmq_msg_data only reads the message; its C signature just lacks const.
            let data = zmq_msg_data(UnsafeMutablePointer(mutating: pointer))
            return try body(UnsafeRawBufferPointer(start: data, count: zmq_msg_size(pointer)))
        }
    }

    /// A copy of the content.
    public var bytes: [UInt8] {
        withUnsafeBytes { [UInt8]($0) }
    }

    /// The content decoded as UTF-8 (invalid sequences replaced).
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Connection metadata of a received message (`zmq_msg_gets`), e.g. "User-Id" (from the
    /// ZAP handler), "Peer-Address", "Socket-Type", "Routing-Id"; nil if absent.
    public func metadata(_ property: String) -> String? {
        withUnsafePointer(to: raw) { pointer -> String? in
            guard let value = zmq_msg_gets(pointer, property) else { return nil }
            return String(cString: value)
        }
    }

    /// The ZAP user id of the peer that sent this message, if a ZAP handler set one.
    public var userId: String? { metadata("User-Id") }
}
