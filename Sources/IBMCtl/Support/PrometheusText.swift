import Foundation

/// Samples of the Prometheus text exposition format (comments and types ignored).
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []

    init(_ text: String) {
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if let sample = Self.parse(line) { samples.append(sample) }
        }
    }

    /// `name{a="x",b="y"} 12.5 [timestamp]`
    static func parse(_ line: String) -> Sample? {
        var labels: [String: String] = [:]
        let name: Substring
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = line[..<brace]
            guard let close = line.lastIndex(of: "}") else { return nil }
            var inside = line[line.index(after: brace)..<close]
            while let equals = inside.firstIndex(of: "=") {
                let key = inside[..<equals].trimmingCharacters(in: .whitespaces.union(.init(charactersIn: ",")))
                var cursor = inside.index(after: equals)
                guard cursor < inside.endIndex, inside[cursor] == "\"" else { return nil }
                cursor = inside.index(after: cursor)
                var value = ""
                var escaped = false
                while cursor < inside.endIndex {
                    let character = inside[cursor]
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                    cursor = inside.index(after: cursor)
                }
                labels[key] = value
                inside = cursor < inside.endIndex ? inside[inside.index(after: cursor)...] : ""
            }
            rest = line[line.index(after: close)...]
        } else {
            guard let space = line.firstIndex(of: " ") else { return nil }
            name = line[..<space]
            rest = line[space...]
        }
        rest = rest.drop { $0 == " " }
        let valueText = rest.split(separator: " ").first.map(String.init) ?? ""
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(valueText) else { return nil }
            value = parsed
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// The sum of every sample named `name` whose labels include `matching`; nil when there is none.
    func value(_ name: String, _ matching: [String: String] = [:]) -> Double? {
        let found = samples.filter { sample in
            sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return found.isEmpty ? nil : found.reduce(0) { $0 + $1.value }
    }

    /// Samples named `name`, for per-label breakdowns.
    func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
}
