/// A one-line progress bar on stderr: records, rate and ETA. Silent unless stderr is
/// a terminal, so logs and pipes never see it.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private let started = monotonicMilliseconds()
    private lazy var lastDrawn: Int64 = started
    private var drawn = false
    /// Work in units of the caller's choice (e.g. seqs); nil when unknown.
    var total: UInt64?

    init(label: String, total: UInt64?, enabled: Bool = StandardError.isTerminal) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Redraws at most 5 times a second. `done` is in the units of `total`; `records` is what the user counts.
    func update(done: UInt64, records: UInt64) {
        guard enabled else { return }
        let now = monotonicMilliseconds()
        guard now - lastDrawn >= 200 else { return }
        lastDrawn = now
        let elapsed = Double(max(now - started, 1)) / 1000
        var line = "\r\(label) \(Display.grouped(records)) records  \(Display.rate(Double(records) / elapsed))"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
            line = "\r\(label) [\(bar)] \(Int(fraction * 100))%  \(Display.grouped(records)) records  "
                + "\(Display.rate(Double(records) / elapsed))  ETA \(Display.duration(seconds: eta))"
        }
        StandardError.write(line + "\u{1B}[K")
        drawn = true
    }

    /// Erases the bar.
    func finish() {
        guard enabled, drawn else { return }
        StandardError.write("\r\u{1B}[K")
        drawn = false
    }
}
