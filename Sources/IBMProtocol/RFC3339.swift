import SwiftProtobuf

/// RFC 3339 date-times, as the JSON alert form writes them.
///
/// Hand-written rather than Foundation's formatters: it is strict (no
/// two-digit years, no missing offset), allocation-free and thread-safe.
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; returns nil if malformed.
    public static func parse(_ text: String) -> Google_Protobuf_Timestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for position in range {
                let byte = bytes[position]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 0x2D, let month = number(5..<7), bytes[7] == 0x2D,
              let day = number(8..<10), bytes[10] == 0x54 || bytes[10] == 0x74,
              let hour = number(11..<13), bytes[13] == 0x3A, let minute = number(14..<16), bytes[16] == 0x3A,
              let second = number(17..<19)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var position = 19
        var nanos = 0
        if position < bytes.count, bytes[position] == 0x2E {
            position += 1
            let start = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                if position - start < 9 { nanos = nanos * 10 + Int(bytes[position] - 0x30) }
                position += 1
            }
            let digits = position - start
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        guard position < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[position] {
        case 0x5A, 0x7A:
            position += 1
        case 0x2B, 0x2D:
            guard position + 6 == bytes.count, let offsetHour = number(position + 1..<position + 3),
                  bytes[position + 3] == 0x3A, let offsetMinute = number(position + 4..<position + 6),
                  offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 60 + offsetMinute) * 60 * (bytes[position] == 0x2D ? -1 : 1)
            position += 6
        default:
            return nil
        }
        guard position == bytes.count else { return nil }
        // A leap second is read as the last second of the minute.
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        var timestamp = Google_Protobuf_Timestamp()
        timestamp.seconds = Int64(seconds)
        timestamp.nanos = Int32(nanos)
        return timestamp
    }

    /// Formats in UTC with `Z`; the fraction is written only when non-zero,
    /// with 3, 6 or 9 digits.
    public static func format(_ timestamp: Google_Protobuf_Timestamp) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        write(seconds: timestamp.seconds, nanos: timestamp.nanos, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``format(_:)`` of a timestamp's fields as bytes, without making a String.
    public static func write(seconds: Int64, nanos: Int32, into out: inout [UInt8]) {
        let seconds = Int(seconds)
        var days = seconds / 86_400
        var remainder = seconds % 86_400
        if remainder < 0 {
            remainder += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        pad(year, 4, &out)
        out.append(UInt8(ascii: "-"))
        pad(month, 2, &out)
        out.append(UInt8(ascii: "-"))
        pad(day, 2, &out)
        out.append(UInt8(ascii: "T"))
        pad(remainder / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        pad(remainder / 60 % 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        pad(remainder % 60, 2, &out)
        let nanos = Int(nanos)
        if nanos > 0 {
            out.append(UInt8(ascii: "."))
            if nanos % 1_000_000 == 0 {
                pad(nanos / 1_000_000, 3, &out)
            } else if nanos % 1000 == 0 {
                pad(nanos / 1000, 6, &out)
            } else {
                pad(nanos, 9, &out)
            }
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// `value` in decimal, left-padded with zeros to `width` bytes (the sign counts).
    private static func pad(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        if value >= 0, value < 100, width == 2 {  // months, days, hours, minutes, seconds
            out.append(UInt8(ascii: "0") + UInt8(value / 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
            return
        }
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        if length < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - length)) }
        JSONWriter.writeInteger(value, into: &out)
    }

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian).
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension Google_Protobuf_Timestamp {
    /// Milliseconds since the Unix epoch, saturated at `Int64.min`/`.max`: a hostile
    /// timestamp (seconds near `Int64.max`) must not trap the process reading it.
    public var unixMilliseconds: Int64 {
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = milliseconds.addingReportingOverflow(Int64(nanos / 1_000_000))
        return carry ? (nanos < 0 ? .min : .max) : sum
    }

    public init(unixMilliseconds: Int64) {
        self.init()
        var seconds = unixMilliseconds / 1000
        var millis = unixMilliseconds % 1000
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        self.seconds = seconds
        self.nanos = Int32(millis * 1_000_000)
    }
}
