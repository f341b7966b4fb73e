import Prometheus
import Synchronization

/// The daemon's Prometheus metrics (`ibm_agency_*`). Counters are thread-safe: the
/// sender, follower, spool and HTTP handlers record into them directly.
public final class AgencyMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let intakeAlerts: Counter
    let intakeRejected: Counter
    let sent: Counter
    let resent: Counter
    let receivedEvents: Counter
    let spoolFilesDone: Counter
    let spoolFilesFailed: Counter
    let outboxDepth: Gauge
    let oldestQueuedSeconds: Gauge
    let hubConnected: Gauge
    private let ackCounters: Mutex<[String: Counter]>
    private let nackCounters: Mutex<[String: Counter]>

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.name(name, unit: "total", help: help))
        }
        intakeAlerts = counter("intake_alerts", "Alerts stored in the outbox by the intake (HTTP and spool).")
        intakeRejected = counter("intake_rejected", "Intake requests refused (invalid alerts; nothing stored).")
        sent = counter("sent", "Alerts sent to the hub for the first time.")
        resent = counter("resent", "Alerts sent again after a timeout or a reconnection.")
        receivedEvents = counter("received_events", "Picture events received from the hub and stored in the inbox.")
        spoolFilesDone = counter("spool_files_done", "Spool files stored completely.")
        spoolFilesFailed = counter("spool_files_failed", "Spool files moved to spool/failed.")
        outboxDepth = registry.makeGauge(descriptor: Self.name("outbox_depth", unit: "", help: "Alerts in the outbox not yet answered by the hub."))
        oldestQueuedSeconds = registry.makeGauge(descriptor: Self.name("outbox_oldest_queued_age", unit: "seconds", help: "Age of the oldest unanswered alert (0 when none)."))
        hubConnected = registry.makeGauge(descriptor: Self.name("hub_connected", unit: "", help: "1 when the hub answered within outbox.hub_timeout."))
        ackCounters = Mutex([:])
        nackCounters = Mutex([:])
    }

    func acked(_ outcome: String) {
        labelled(ackCounters, "acked", "Alerts acknowledged by the hub, by outcome.", ("outcome", outcome)).increment()
    }

    func nacked(_ code: String) {
        labelled(nackCounters, "nacked", "Alerts refused by the hub for good, by error code.", ("code", code)).increment()
    }

    private func labelled(_ counters: borrowing Mutex<[String: Counter]>, _ name: String, _ help: String, _ label: (String, String)) -> Counter {
        counters.withLock { counters in
            if let counter = counters[label.1] { return counter }
            let counter = registry.makeCounter(descriptor: Self.name(name, unit: "total", help: help), labels: [label])
            counters[label.1] = counter
            return counter
        }
    }

    private static func name(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ibm", subsystem: "agency", metricName: name, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
