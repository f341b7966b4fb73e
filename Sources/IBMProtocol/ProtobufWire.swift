/// Just enough of the protobuf wire format to work on encoded messages without decoding them:
/// the hub wraps journaled bytes into sync replies and slices an alert out of its event,
/// `ibmctl replay` writes JSON straight from an alert's bytes, the benchmark finds ids.
///
/// The one copy of this in the project; full decoding stays with swift-protobuf.
public enum ProtobufWire {
    /// The wire types this protocol uses (groups, 3 and 4, are not).
    public static let varint: UInt8 = 0
    public static let fixed64: UInt8 = 1
    public static let lengthDelimited: UInt8 = 2
    public static let fixed32: UInt8 = 5

    // MARK: Writing

    public static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    public static func appendVarintField(_ field: UInt64, _ value: UInt64, to out: inout [UInt8]) {
        guard value != 0 else { return }  // proto3 default values are not written
        appendVarint(field << 3, to: &out)
        appendVarint(value, to: &out)
    }

    public static func appendBytesField(_ field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendVarint(field << 3 | 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// A `google.protobuf.Timestamp` for Unix milliseconds.
    public static func timestamp(unixMilliseconds ms: Int64) -> [UInt8] {
        var out: [UInt8] = []
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let nanos = (ms - seconds * 1000) * 1_000_000
        appendVarintField(1, UInt64(bitPattern: seconds), to: &out)
        appendVarintField(2, UInt64(nanos), to: &out)
        return out
    }

    // MARK: Reading

    /// Reads a message's fields in order, checking every length against the end: a reader
    /// never touches a byte outside its buffer, and answers nil on malformed input.
    public struct Reader {
        public let bytes: UnsafeRawBufferPointer
        /// Offset of the next unread byte.
        public private(set) var index = 0

        public init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        public var isAtEnd: Bool { index >= bytes.count }

        /// A varint of at most 10 bytes; nil when truncated or longer.
        @inline(__always)
        public mutating func readVarint() -> UInt64? {
            // Most varints here (tags, enum values, lengths below 128) are one byte.
            if index < bytes.count, bytes[index] < 0x80 {
                index += 1
                return UInt64(bytes[index - 1])
            }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        /// The next field's number and wire type; nil at the end or on a malformed tag.
        @inline(__always)
        public mutating func readTag() -> (field: UInt64, wireType: UInt8)? {
            guard index < bytes.count, let tag = readVarint() else { return nil }
            return (tag >> 3, UInt8(tag & 7))
        }

        /// The payload of a length-delimited field whose tag was just read.
        @inline(__always)
        public mutating func readLengthDelimited() -> UnsafeRawBufferPointer? {
            guard let length = readVarint(), length <= UInt64(bytes.count - index) else { return nil }
            let start = index
            index += Int(length)
            return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        }

        /// A little-endian fixed 64-bit value (a `double` is its bit pattern).
        @inline(__always)
        public mutating func readFixed64() -> UInt64? {
            guard bytes.count - index >= 8 else { return nil }
            let value = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
            return UInt64(littleEndian: value)
        }

        /// Skips the value of a field of this wire type; false when it is malformed or a group.
        public mutating func skip(wireType: UInt8) -> Bool {
            switch wireType {
            case ProtobufWire.varint: return readVarint() != nil
            case ProtobufWire.fixed64: return readFixed64() != nil
            case ProtobufWire.lengthDelimited: return readLengthDelimited() != nil
            case ProtobufWire.fixed32:
                guard bytes.count - index >= 4 else { return false }
                index += 4
                return true
            default: return false
            }
        }
    }

    /// The payload of the first length-delimited field `field` at the top level of
    /// `message`, or nil when it is absent or the bytes before it are not well-formed.
    public static func lengthDelimitedField(_ field: UInt64, in message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var reader = Reader(message)
        while let (number, wireType) = reader.readTag() {
            if wireType == lengthDelimited {
                guard let payload = reader.readLengthDelimited() else { return nil }
                if number == field { return payload }
            } else if !reader.skip(wireType: wireType) {
                return nil
            }
        }
        return nil
    }

    /// ``lengthDelimitedField(_:in:)`` for an array: the payload as a slice of it.
    /// Lets the hub journal an alert as the bytes already encoded inside its event.
    public static func lengthDelimitedField(_ field: UInt64, in message: [UInt8]) -> ArraySlice<UInt8>? {
        let range: Range<Int>? = message.withUnsafeBytes { raw in
            guard let payload = lengthDelimitedField(field, in: raw), let base = raw.baseAddress else { return nil }
            let start = payload.baseAddress.map { base.distance(to: $0) } ?? 0
            return start..<start + payload.count
        }
        return range.map { message[$0] }
    }
}
