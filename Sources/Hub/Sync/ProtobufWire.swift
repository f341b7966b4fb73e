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
