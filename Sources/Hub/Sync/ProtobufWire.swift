/// Just enough of the protobuf wire format to wrap journaled message bytes into
/// sync replies without decoding and re-encoding them (the replay hot path).
enum ProtobufWire {
    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func appendVarintField(_ field: UInt64, _ value: UInt64, to out: inout [UInt8]) {
        guard value != 0 else { return }  // proto3 default values are not written
        appendVarint(field << 3, to: &out)
        appendVarint(value, to: &out)
    }

    static func appendBytesField(_ field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendVarint(field << 3 | 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// The payload of the first length-delimited field `field` at the top level of
    /// `message`, or nil when it is absent or the bytes are not well-formed wire format.
    /// Lets the hub journal an alert as the bytes already encoded inside its event.
    static func lengthDelimitedField(_ field: UInt64, in message: [UInt8]) -> ArraySlice<UInt8>? {
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < message.count, shift < 64 {
                let byte = message[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while index < message.count {
            guard let tag = varint() else { return nil }
            switch tag & 7 {
            case 0:
                guard varint() != nil else { return nil }
            case 1:
                index += 8
            case 2:
                guard let length = varint(), length <= UInt64(message.count - index) else { return nil }
                let start = index
                index += Int(length)
                if tag >> 3 == field { return message[start..<index] }
            case 5:
                index += 4
            default:
                return nil  // groups are not used by this protocol
            }
        }
        return nil
    }

    /// A `google.protobuf.Timestamp` for Unix milliseconds.
    static func timestamp(unixMilliseconds ms: Int64) -> [UInt8] {
        var out: [UInt8] = []
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let nanos = (ms - seconds * 1000) * 1_000_000
        appendVarintField(1, UInt64(bitPattern: seconds), to: &out)
        appendVarintField(2, UInt64(nanos), to: &out)
        return out
    }
}
