import ArgumentParser
import Foundation
import IBMProtocol

/// `ibmctl status`: a short summary of the hub's health and metrics.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise the hub's health: up or down, last seq, open incidents, rates, journal size.",
        discussion: """
            Reads the hub's /healthz (JSON) and /metrics (Prometheus text) over HTTP; rates come from \
            two scrapes --interval seconds apart. Exits 0 when the hub is up, 1 when it answers but is \
            unhealthy, 2 when it cannot be reached.
            """)

    @OptionGroup(title: "Hub")
    var hubOptions: HubOptions

    @Option(help: ArgumentHelp("Seconds between the two metric scrapes that give rates (0: no rates).", valueName: "seconds"))
    var interval: Double = 1

    @Option(help: ArgumentHelp("Give up on a silent hub after this many seconds.", valueName: "seconds"))
    var timeout: Double = 3

    func validate() throws {
        guard interval >= 0, interval <= 3600 else { throw ValidationError("--interval must be from 0 to 3600 seconds") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be from 0 to 600 seconds") }
    }

    func run() throws {
        let address = try hubOptions.address()
        let endpoint = "\(address.host):\(address.httpPort)"
        let wait = Int(timeout * 1000)
        func get(_ path: String) throws(CtlError) -> HTTPGet.Response {
            do {
                return try HTTPGet.fetch(host: address.host, port: address.httpPort, path: path, timeoutMilliseconds: wait)
            } catch {
                throw .connection("hub \(endpoint): unreachable: \(error)")
            }
        }
        let health = try get("/healthz")
        let first = try get("/metrics")
        var second: HTTPGet.Response?
        let started = monotonicMilliseconds()
        if interval > 0, first.status == 200 {
            sleepMicroseconds(Int64(interval * 1_000_000))
            second = try get("/metrics")
        }
        let seconds = Double(monotonicMilliseconds() - started) / 1000

        let healthJSON = try? JSONParser(maxDepth: 8, maxBytes: 1 << 20).parse(health.body)
        let before = PrometheusText(String(decoding: first.body, as: UTF8.self))
        let after = second.map { PrometheusText(String(decoding: $0.body, as: UTF8.self)) }
        let metrics = after ?? before
        let up = health.status == 200

        let output = BufferedOutput.standardOutput()
        var state = up ? "up" : "down"
        if case let .string(text)? = healthJSON?["status"] { state += " (\(text))" } else if !up {
            state += " (HTTP \(health.status))"
        }
        output.write("hub \(endpoint): \(state)\n")
        func row(_ label: String, _ value: String) {
            output.write("  " + Display.fit(label, 16) + value + "\n")
        }
        if case let .string(failure)? = healthJSON?["last_failure"] { row("last failure", failure) }
        for (key, label) in [("sockets_bound", "sockets bound"), ("journal_writable", "journal writable")] {
            if case let .bool(flag)? = healthJSON?[key], !flag { row(label, "no") }
        }
        let lastSeq = Self.number(healthJSON?["last_seq"]) ?? metrics.value("ibm_hub_last_seq")
        row("last seq", lastSeq.map { Display.grouped(Int64($0)) } ?? "not reported")
        let open = Self.number(healthJSON?["open_incidents"]) ?? metrics.value("ibm_hub_open_incidents")
        row("open incidents", open.map { Display.grouped(Int64($0)) } ?? "not reported")

        var alerts: [String] = []
        if let received = metrics.value("ibm_hub_alerts_received_total") { alerts.append("received \(Display.grouped(Int64(received)))") }
        for outcome in ["accepted", "correlated", "duplicate"] {
            if let count = metrics.value("ibm_hub_alerts_acked_total", ["outcome": outcome]) {
                alerts.append("\(outcome) \(Display.grouped(Int64(count)))")
            }
        }
        let nacks = metrics.all("ibm_hub_alerts_nacked_total")
        if !nacks.isEmpty {
            let total = nacks.reduce(0) { $0 + $1.value }
            let detail = nacks.filter { $0.value > 0 }.map { "\($0.labels["code"] ?? "?") \(Int64($0.value))" }.sorted()
            alerts.append("nacked \(Display.grouped(Int64(total)))" + (detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))"))
        }
        if !alerts.isEmpty { row("alerts", alerts.joined(separator: " · ")) }

        if let after, seconds > 0 {
            var rates: [String] = []
            func rate(_ label: String, _ name: String, _ labels: [String: String] = [:]) {
                guard let new = after.value(name, labels), let old = before.value(name, labels) else { return }
                rates.append("\(label) " + Display.rate(max(new - old, 0) / seconds))
            }
            rate("alerts", "ibm_hub_alerts_received_total")
            rate("feed events", "ibm_hub_feed_events_total")
            rate("sync requests", "ibm_hub_sync_requests_total", ["kind": "all"])
            if !rates.isEmpty { row("rates", rates.joined(separator: " · ") + " (over \(String(format: "%.1f", seconds)) s)") }
        }
        var feed: [String] = []
        if let events = metrics.value("ibm_hub_feed_events_total") { feed.append("events \(Display.grouped(Int64(events)))") }
        if let subscriptions = metrics.value("ibm_hub_feed_subscriptions_total") {
            feed.append("subscriptions \(Display.grouped(Int64(subscriptions)))")
        }
        if !feed.isEmpty { row("feed", feed.joined(separator: " · ")) }
        if let sync = metrics.value("ibm_hub_sync_requests_total", ["kind": "all"]) {
            row("sync requests", Display.grouped(Int64(sync)))
        }

        var journal: [String] = []
        if let size = metrics.value("ibm_hub_journal_bytes") { journal.append(Display.bytes(size)) }
        if let count = metrics.value("ibm_hub_journal_commit_seconds_count"), count > 0,
           let sum = metrics.value("ibm_hub_journal_commit_seconds_sum") {
            journal.append("\(Display.grouped(Int64(count))) commits, mean " + String(format: "%.2f ms", sum / count * 1000))
        }
        if let failures = metrics.value("ibm_hub_journal_commit_failures_total"), failures > 0 {
            journal.append("\(Int64(failures)) failed commits")
        }
        row("journal", journal.isEmpty ? "not reported" : journal.joined(separator: " · "))
        row("agencies", Self.connectedAgencies(metrics) ?? "not reported by this hub's metrics")
        output.flush()
        if !up { throw ExitCode(1) }
    }

    /// Identities that a metric reports as connected, if the hub exports such a metric.
    static func connectedAgencies(_ metrics: PrometheusText) -> String? {
        let connected = metrics.samples.filter { sample in
            sample.name.hasPrefix("ibm_hub_") && sample.name.contains("connected")
                && (sample.labels["identity"] ?? sample.labels["agency"]) != nil
        }
        guard !connected.isEmpty else { return nil }
        var byName: [String: Double] = [:]
        for sample in connected {
            byName[sample.labels["identity"] ?? sample.labels["agency"] ?? "?", default: 0] += sample.value
        }
        let names = byName.filter { $0.value > 0 }.keys.sorted()
        return names.isEmpty ? "none connected" : names.joined(separator: ", ")
    }

    static func number(_ value: JSONValue?) -> Double? {
        if case let .number(text)? = value { return Double(text) }
        return nil
    }
}
