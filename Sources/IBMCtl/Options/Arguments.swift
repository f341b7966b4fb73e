import ArgumentParser
import IBMProtocol

/// A threat category as typed on the command line (`arms_trafficking`).
struct CategoryName: ExpressibleByArgument, Sendable, Equatable {
    let value: Ibm_V1_Category

    init?(argument: String) {
        guard let value = Ibm_V1_Category(jsonName: argument) else { return nil }
        self.value = value
    }

    var name: String { value.jsonName ?? "" }
    static var allValueStrings: [String] { Ibm_V1_Category.jsonNames }
}

/// A CAP severity as typed on the command line (`severe`).
struct SeverityName: ExpressibleByArgument, Sendable, Equatable {
    let value: Ibm_V1_Severity

    init?(argument: String) {
        guard let value = Ibm_V1_Severity(jsonName: argument) else { return nil }
        self.value = value
    }

    static var allValueStrings: [String] { ["minor", "moderate", "severe", "extreme"] }
}

/// An instant: RFC 3339 (`2026-11-21T08:10:00Z`), `now`, or relative to now (`-2h`, `-90m`, `-1d12h`).
struct TimeArgument: ExpressibleByArgument, Sendable, Equatable {
    /// Unix milliseconds.
    let unixMilliseconds: Int64

    init?(argument: String) {
        self.init(argument, now: wallClockMilliseconds())
    }

    init?(_ text: String, now: Int64) {
        if text == "now" {
            unixMilliseconds = now
        } else if let offset = Self.relativeMilliseconds(text) {
            unixMilliseconds = now - offset
        } else if let stamp = RFC3339.parse(text) {
            unixMilliseconds = stamp.unixMilliseconds
        } else {
            return nil
        }
    }

    /// `-2h` → 7,200,000: a sum of numbers with units d, h, m, s or ms, after an optional `-`.
    static func relativeMilliseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit: Int64
            if rest.hasPrefix("ms") {
                unit = 1
                rest = rest.dropFirst(2)
            } else if let first = rest.first {
                switch first {
                case "d": unit = 86_400_000
                case "h": unit = 3_600_000
                case "m": unit = 60_000
                case "s": unit = 1000
                default: return nil
                }
                rest = rest.dropFirst()
            } else {
                return nil
            }
            total += number * unit
        }
        return total
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// Pacing of a replay: as fast as possible, or the original pacing scaled by a factor.
enum ReplaySpeed: ExpressibleByArgument, Sendable, Equatable {
    case max
    case factor(Double)

    init?(argument: String) {
        if argument == "max" {
            self = .max
        } else if let factor = Double(argument), factor.isFinite, factor > 0 {
            self = .factor(factor)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .max: "max"
        case let .factor(factor): "\(factor)"
        }
    }
}
