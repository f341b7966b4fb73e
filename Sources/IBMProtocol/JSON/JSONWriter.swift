/// Serialises a `JSONValue` compactly (no spaces), keeping member order.
public enum JSONWriter {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let .number(text): out.append(contentsOf: text.utf8)
        case let .string(text): writeString(text, into: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    public static func writeString(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { writeString(utf8: UnsafeRawBufferPointer($0), into: &out) }
    }

    /// Writes bytes already known to be valid UTF-8 as a JSON string.
    public static func writeString(utf8 bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Copies each run of bytes that need no escape in one append: appending byte by
        // byte paid a uniqueness and capacity check per byte (15% of a replay's CPU).
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < index { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            out.append(0x5C)
            switch byte {
            case 0x22, 0x5C: out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
        }
        if runStart < bytes.count { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes a Double as ``JSONValue/number(_:)-(Double)`` spells it.
    public static func writeNumber(_ value: Double, into out: inout [UInt8]) {
        if let integral = integral(value) {
            writeInteger(integral, into: &out)
        } else if value.isFinite {
            // Swift's shortest round-trip form; at most 15 bytes stay inline, with no allocation.
            var text = value.description
            text.withUTF8 { out.append(contentsOf: $0) }
        } else {
            out.append(UInt8(ascii: "0"))
        }
    }

    /// The value as an integer when it is one that JSON can carry without a fraction
    /// (so `10.0` is written `10`); nil otherwise.
    @inline(__always)
    static func integral(_ value: Double) -> Int64? {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? Int64(value) : nil
    }

    /// Writes an integer in decimal, as `String(value)` does, without making the String.
    public static func writeInteger(_ value: some BinaryInteger, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var rest = UInt64(value.magnitude)
        var digits = 1
        var scale: UInt64 = 10
        while digits < 20, rest >= scale {
            digits += 1
            scale = scale &* 10
        }
        let end = out.count + digits
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        out.withUnsafeMutableBufferPointer { buffer in
            var index = end - 1
            repeat {
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                index -= 1
            } while rest > 0
        }
    }
}

extension JSONValue {
    /// A JSON number for a Double, in the shortest form that reads back equal
    /// (integral values without a fraction, so `10.0` is written `10`).
    public static func number(_ value: Double) -> JSONValue {
        if let integral = JSONWriter.integral(value) { return .number(String(integral)) }
        return .number(value.isFinite ? "\(value)" : "0")
    }

    public static func number(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }
}
