import Foundation
import IBMProtocol
import SwiftProtobuf

/// Text shared by the table views of `watch` and `replay`.
enum Display {
    /// Agencies with a live contribution, as letters in a fixed order: `B M C`.
    static func agencies(_ incident: Ibm_V1_Incident) -> String {
        let origins = Set(incident.contributions.filter { !$0.cancelled }.map(\.origin))
        let known = ["border", "migration", "customs"]
        let ordered = known.filter(origins.contains) + origins.subtracting(known).sorted()
        return ordered.map { String($0.prefix(1)).uppercased() }.joined(separator: " ")
    }

    /// `08:10:00` for today (UTC), `11-21 08:10` otherwise; `-` when unset.
    static func time(unixMilliseconds: Int64, now: Int64 = wallClockMilliseconds()) -> String {
        guard unixMilliseconds > 0 else { return "-" }
        let seconds = unixMilliseconds / 1000
        let day = seconds / 86_400, nowDay = now / 86_400_000
        let clock = seconds % 86_400
        let hours = clock / 3600, minutes = clock % 3600 / 60, secs = clock % 60
        if day == nowDay { return String(format: "%02d:%02d:%02d", hours, minutes, secs) }
        let (_, month, dayOfMonth) = RFC3339.civilFromDays(Int(day))
        return String(format: "%02d-%02d %02d:%02d", month, dayOfMonth, hours, minutes)
    }

    static func time(_ timestamp: Google_Protobuf_Timestamp) -> String {
        time(unixMilliseconds: timestamp.unixMilliseconds)
    }

    /// `text` cut or padded to exactly `width` characters (an ellipsis marks a cut).
    static func fit(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        let clean = text.replacingOccurrences(of: "\n", with: " ")
        let count = clean.count
        if count == width { return clean }
        if count < width { return clean + String(repeating: " ", count: width - count) }
        return String(clean.prefix(width - 1)) + "…"
    }

    /// `text` cut to at most `width` characters, not padded.
    static func cut(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        let clean = text.replacingOccurrences(of: "\n", with: " ")
        return clean.count <= width ? clean : String(clean.prefix(width - 1)) + "…"
    }

    /// `1234567` → `1,234,567`.
    static func grouped(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `1.2 MB`, `340 kB`, `12 B` (decimal units).
    static func bytes(_ value: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var scaled = value
        var unit = 0
        while scaled >= 1000, unit < units.count - 1 {
            scaled /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(scaled)) B" : String(format: "%.1f", scaled) + " " + units[unit]
    }

    /// `2:05:09` or `5:09`.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let total = Int(seconds.rounded())
        let hours = total / 3600, minutes = total % 3600 / 60, secs = total % 60
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }

    /// `12.3k/s` style rate.
    static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite else { return "-" }
        if perSecond >= 10_000 { return String(format: "%.0fk/s", perSecond / 1000) }
        if perSecond >= 1000 { return String(format: "%.1fk/s", perSecond / 1000) }
        return String(format: "%.1f/s", perSecond)
    }
}
