import Foundation

/// Which form of the suite runs: FAULTS=quick (default; the CI form), long (quick + long), off.
enum FaultMode {
    static var form: String { ProcessInfo.processInfo.environment["FAULTS"] ?? "quick" }
    static var quick: Bool { form != "off" }
    static var long: Bool { form == "long" }

    /// FAULT_SEED replays a run; otherwise a fresh seed, printed by the scenario.
    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["FAULT_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }
}

/// What one scenario did and found; printed as one row of the summary table.
struct ScenarioSummary {
    var scenario: String
    var seed: UInt64
    var accepted = 0
    var faults = 0
    var violations: [String] = []
    /// Seconds from each restart (or resume) to the first new ack.
    var recoveries: [Double] = []
    var notes: [String] = []

    /// A scenario's summary, its seed drawn (or taken from FAULT_SEED) and printed so a failure can be replayed.
    static func begin(_ scenario: String) -> ScenarioSummary {
        let seed = FaultMode.seed()
        print("fault scenario \(scenario): FAULT_SEED=\(seed)")
        return ScenarioSummary(scenario: scenario, seed: seed)
    }

    static let header = "| scenario | seed | alerts accepted | faults injected | violations | recovery to first new ack (s) |"

    var row: String {
        let times = recoveries.isEmpty ? "–" : String(format: "min %.2f · median %.2f · max %.2f (%d)",
            recoveries.min()!, recoveries.sorted()[recoveries.count / 2], recoveries.max()!, recoveries.count)
        return "| \(scenario) | \(seed) | \(accepted) | \(faults) | \(violations.count) | \(times) |"
    }

    /// Prints the row (and each violation), and appends it to FAULT_REPORT if set.
    func report() {
        var text = "fault scenario \(scenario) FAULT_SEED=\(seed)\n\(Self.header)\n\(row)\n"
        for note in notes { text += "  note: \(note)\n" }
        for violation in violations.prefix(50) { text += "  VIOLATION: \(violation)\n" }
        if violations.count > 50 { text += "  … \(violations.count - 50) more violations\n" }
        if !recoveries.isEmpty {
            text += "  recoveries (s): " + recoveries.map { String(format: "%.2f", $0) }.joined(separator: " ") + "\n"
        }
        print(text, terminator: "")
        if let path = ProcessInfo.processInfo.environment["FAULT_REPORT"] {
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(text.utf8))
                handle.closeFile()
            }
        }
    }
}

/// How the checker names an alert: "origin/id" (agency names hold no "/", so it is unambiguous).
func alertKey(_ origin: String, _ id: String) -> String { origin + "/" + id }

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    usleep(useconds_t(min(seconds, 4000) * 1_000_000))
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
@discardableResult
func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
