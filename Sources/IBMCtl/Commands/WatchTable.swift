import Foundation
import HubClient
import IBMProtocol

/// The live terminal view of `watch`: one line per open incident, redrawn in place on
/// the terminal's alternate screen (restored on exit).
final class LiveTable: PictureView {
    private let output: BufferedOutput
    private let hub: String
    private let filter: IncidentFilter
    private var incidents: [String: Ibm_V1_Incident] = [:]
    private var state: ConnectionState = .connecting
    private var lastSeq: UInt64 = 0
    private var feedSilence: Int64?
    private var recoveries = 0
    private var dirty = true
    private var lastDraw: Int64 = 0
    /// Events per tenth of a second, for the last few seconds.
    private var buckets: [(slot: Int64, count: Int)] = []
    private let started = monotonicMilliseconds()

    init(output: BufferedOutput, hub: String, filter: IncidentFilter) {
        self.output = output
        self.hub = hub
        self.filter = filter
    }

    func start() {
        // Alternate screen, hidden cursor.
        output.write("\u{1B}[?1049h\u{1B}[?25l")
        draw()
    }

    func stop() {
        output.write("\u{1B}[?25h\u{1B}[?1049l")
        output.flush()
    }

    func status(_ state: ConnectionState) {
        self.state = state
        dirty = true
        draw()
    }

    func snapshot(_ incidents: [Ibm_V1_Incident], highSeq: UInt64) {
        self.incidents = Dictionary(incidents.filter(filter.matches).map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        lastSeq = highSeq
        dirty = true
        draw()
    }

    func event(_ event: Ibm_V1_PictureEvent, follower: PictureFollower) {
        let slot = monotonicMilliseconds() / 100
        if let last = buckets.last, last.slot == slot {
            buckets[buckets.count - 1].count += 1
        } else {
            buckets.append((slot, 1))
            buckets.removeAll { $0.slot < slot - 50 }
        }
        if event.kind == .closed || !filter.matches(event.incident) {
            incidents[event.incident.id] = nil
        } else {
            incidents[event.incident.id] = event.incident
        }
        lastSeq = event.seq
        dirty = true
    }

    func tick(follower: PictureFollower) {
        lastSeq = follower.lastSeq
        recoveries = follower.recoveries
        let silence = follower.millisecondsSinceFeedTraffic
        if silence.map({ $0 / 1000 }) != feedSilence.map({ $0 / 1000 }) { dirty = true }
        feedSilence = silence
        state = .following
        draw()
    }

    /// Events per second over the last five seconds (or since the start, if shorter).
    private var rate: Double {
        let now = monotonicMilliseconds()
        let window = max(min(5000, now - started), 100)
        let recent = buckets.filter { $0.slot >= (now - window) / 100 }
        return Double(recent.reduce(0) { $0 + $1.count }) * 1000 / Double(window)
    }

    private func connectionText() -> String {
        switch state {
        case .failed(let reason):
            return "\u{1B}[31mdisconnected\u{1B}[0m (\(reason)); retrying"
        case .connecting:
            return "connecting"
        case .following:
            guard let silence = feedSilence else { return lastSeq > 0 ? "waiting for the feed" : "connecting" }
            // The hub sends a heartbeat every second.
            return silence < 3000 ? "\u{1B}[32mconnected\u{1B}[0m" : "\u{1B}[33mno feed traffic for \(silence / 1000) s\u{1B}[0m"
        }
    }

    private func draw() {
        let now = monotonicMilliseconds()
        guard dirty || now - lastDraw >= 1000, now - lastDraw >= 100 else { return }
        dirty = false
        lastDraw = now
        let (columns, rows) = terminalSize(output.fileDescriptor) ?? (100, 30)
        var screen = "\u{1B}[H"
        let header = "ibmctl watch \(hub) · \(connectionText()) · seq \(lastSeq) · "
            + String(format: "%.1f", rate) + " ev/s · \(incidents.count) open" + (recoveries > 0 ? " · \(recoveries) gaps filled" : "")
        screen += header + "\u{1B}[K\n"
        let widths = [12, 21, 7, 20, 9, 7, 4]
        let titles = ["TIME (UTC)", "CATEGORY", "SECTOR", "PLACE", "SEVERITY", "AGENCY", "#"]
        var head = ""
        for (title, width) in zip(titles, widths) { head += Display.fit(title, width - 1) + " " }
        let fixed = widths.reduce(0, +)
        head += "HEADLINE"
        screen += "\u{1B}[1m" + Display.cut(head, columns) + "\u{1B}[0m\u{1B}[K\n"
        let sorted = incidents.values.sorted { $0.updatedSeq > $1.updatedSeq }
        for incident in sorted.prefix(max(rows - 3, 0)) {
            let cells = [
                Display.time(incident.lastSeen), incident.category.jsonName ?? "", incident.location.sector,
                incident.location.place, incident.highestSeverity.jsonName ?? "", Display.agencies(incident),
                String(incident.contributions.count),
            ]
            var line = ""
            for (cell, width) in zip(cells, widths) { line += Display.fit(cell, width - 1) + " " }
            line += Display.cut(incident.headline, max(columns - fixed, 0))
            line = Display.cut(line, columns)
            screen += incident.corroboration >= 2 ? "\u{1B}[1;33m" + line + "\u{1B}[0m" : line
            screen += "\u{1B}[K\n"
        }
        if sorted.count > max(rows - 3, 0) {
            screen += "… \(sorted.count - max(rows - 3, 0)) more\u{1B}[K\n"
        }
        screen += "\u{1B}[J"
        output.write(screen)
        output.flush()
    }
}
