import Prometheus
import Synchronization

/// The hub's Prometheus metrics. Counters and histograms are thread-safe, so
/// the core, writer and sync threads record into them directly.
public final class HubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let alertsReceived: Counter
    let alertsAccepted: Counter
    let alertsCorrelated: Counter
    let alertsDuplicate: Counter
    let framesMalformed: Counter
    let commitLatency: DurationHistogram
    let commitBatchSize: ValueHistogram
    let commitFailures: Counter
    let feedEvents: Counter
    let feedSubscriptions: Counter
    let openIncidents: Gauge
    let journalBytes: Gauge
    let lastSeq: Gauge
    private let nackCounters: Mutex<[String: Counter]>
    private let syncCounters: Mutex<[String: Counter]>
    private let refusalCounters: Mutex<[String: Counter]>

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        alertsReceived = registry.makeCounter(descriptor: Self.name("alerts_received_total", help: "Publish requests received on ingest."))
        alertsAccepted = registry.makeCounter(descriptor: Self.name("alerts_acked_total", help: "Alerts acknowledged, by outcome."), labels: [("outcome", "accepted")])
        alertsCorrelated = registry.makeCounter(descriptor: Self.name("alerts_acked_total", help: "Alerts acknowledged, by outcome."), labels: [("outcome", "correlated")])
        alertsDuplicate = registry.makeCounter(descriptor: Self.name("alerts_acked_total", help: "Alerts acknowledged, by outcome."), labels: [("outcome", "duplicate")])
        framesMalformed = registry.makeCounter(descriptor: Self.name("frames_malformed_total", help: "Ingest messages that were not a valid request."))
        commitLatency = registry.makeDurationHistogram(descriptor: Self.name("journal_commit_seconds", help: "Duration of one group commit."), buckets: [.microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        commitBatchSize = registry.makeValueHistogram(descriptor: Self.name("journal_batch_records", help: "Records per group commit."), buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384])
        commitFailures = registry.makeCounter(descriptor: Self.name("journal_commit_failures_total", help: "Group commits that failed."))
        feedEvents = registry.makeCounter(descriptor: Self.name("feed_events_total", help: "Picture events published on the feed."))
        feedSubscriptions = registry.makeCounter(descriptor: Self.name("feed_subscriptions_total", help: "Subscription requests seen on the feed."))
        openIncidents = registry.makeGauge(descriptor: Self.name("open_incidents", help: "Incidents open in the shared picture."))
        journalBytes = registry.makeGauge(descriptor: Self.name("journal_bytes", help: "Size of the journal database files."))
        lastSeq = registry.makeGauge(descriptor: Self.name("last_seq", help: "Highest committed journal sequence number."))
        nackCounters = Mutex([:])
        syncCounters = Mutex([:])
        refusalCounters = Mutex([:])
    }

    func nacked(_ code: String) {
        labelled(nackCounters, "alerts_nacked_total", help: "Publishes refused, by error code.", label: ("code", code))
    }

    func syncRequest(_ kind: String) {
        labelled(syncCounters, "sync_requests_total", help: "Sync requests.", label: ("kind", kind))
    }

    /// Traffic refused for security: unknown_key, revoked_key, spoofed_origin, forbidden_category,
    /// rate_limited, sync_rate_limited, sync_forbidden.
    func refused(_ reason: String) {
        labelled(refusalCounters, "security_refusals_total", help: "Traffic refused for security reasons, by reason.",
                 label: ("reason", reason))
    }

    private func labelled(_ counters: borrowing Mutex<[String: Counter]>, _ name: String, help: String, label: (String, String)) {
        let counter = counters.withLock { counters in
            if let counter = counters[label.1] { return counter }
            let counter = registry.makeCounter(descriptor: Self.name(name, help: help), labels: [label])
            counters[label.1] = counter
            return counter
        }
        counter.increment()
    }

    func recordCommit(records: Int, duration: Duration) {
        commitLatency.record(duration)
        commitBatchSize.record(Double(records))
    }

    /// A descriptor named `ibm_hub_<name>`; the unit is the name's last word (`_total`, `_seconds`, …).
    private static func name(_ name: String, help: String) -> MetricNameDescriptor {
        let parts = name.split(separator: "_")
        let units: Set<Substring> = ["total", "seconds", "records", "bytes"]
        if let last = parts.last, units.contains(last), parts.count > 1 {
            return MetricNameDescriptor(
                namespace: "ibm", subsystem: "hub", metricName: parts.dropLast().joined(separator: "_"),
                unitName: String(last), helpText: help)
        }
        return MetricNameDescriptor(namespace: "ibm", subsystem: "hub", metricName: name, unitName: "", helpText: help)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
