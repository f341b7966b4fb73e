import Foundation
import HubClient
import IBMProtocol
import TestSupport
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// The processes of one fault run: a hub, the three agency daemons with the load posted to
/// their intakes (`AgencyDriver`), feed subscribers (`ibmctl watch --format jsonl` writing to
/// a file), plus an in-process probe that times recovery.
final class FaultCluster {
    let hub: HubProcess
    let load: AlertLoad
    private(set) var subscribers: [Subscriber] = []
    /// Acks of probe alerts (origin border), by alert id.
    private(set) var probeAcks: [String: Ibm_V1_Ack] = [:]
    private var probeCount = 0
    /// The agency daemons and the load posted to their intakes.
    private(set) var agencies: [String: AgencyProcess] = [:]
    private(set) var driver: AgencyDriver?
    private let context: ZMQContext
    let runTag: String

    init(label: String, seed: UInt64, alerts: Int, durability: String = "os", extraYAML: String = "") throws {
        hub = try HubProcess(label: "fault-\(label)", durability: durability, extraYAML: extraYAML)
        runTag = "f\(seed % 100_000)"
        load = try AlertLoad.generate(count: alerts, seed: seed, runTag: runTag)
        context = try ZMQContext()
    }

    // MARK: Subscribers

    @discardableResult
    func addSubscriber() throws -> Subscriber {
        let url = hub.directory.appendingPathComponent("subscriber-\(subscribers.count + 1).jsonl")
        let arguments = ["watch", "--format", "jsonl", "--insecure", "--hub", "127.0.0.1:\(hub.ingestPort)",
                         "--feed-port", "\(hub.feedPort)", "--sync-port", "\(hub.syncPort)", "--http-port", "\(hub.httpPort)"]
        let child = try ChildProcess(TestPaths.executable("ibmctl"), arguments, logURL: url)
        let subscriber = Subscriber(child: child, url: url)
        subscribers.append(subscriber)
        return subscriber
    }

    // MARK: Agency daemons and their load

    /// Starts the hub, the three agency daemons and one feed subscriber: every scenario's network.
    @discardableResult
    func startNetwork() throws -> Subscriber {
        try hub.start()
        try startAgencies()
        return try addSubscriber()
    }

    /// Starts ibm-border, ibm-migration and ibm-customs against the hub.
    func startAgencies() throws {
        for origin in AlertLoad.origins {
            let agency = try AgencyProcess(origin, hub: hub, outbox: ["resend_after: 2s"])
            try agency.start()
            agencies[origin] = agency
        }
    }

    var agencyPorts: [String: Int] { agencies.mapValues(\.httpPort) }

    /// Posts the whole load to the daemons' intakes from one thread per agency.
    func startAgencyLoad(batch: Int = 10, pause: Double = 0.05) {
        driver = AgencyDriver(load: load, ports: agencyPorts, batch: batch, pause: pause)
    }

    /// True while the driver still posts, or a daemon still holds alerts the hub has not answered
    /// (or does not answer its `/healthz`).
    var deliveryPending: Bool {
        if driver?.running == true { return true }
        return agencies.values.contains { agency in
            guard let depth = agency.health()?["outbox_depth"] as? Int else { return true }
            return depth > 0
        }
    }

    /// Waits until the driver has posted everything; false if it still posts at the deadline.
    func waitForLoad(timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { driver?.running != true }
    }

    /// Waits until every alert posted is answered by the hub; false at the deadline.
    func waitForDelivery(timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { !deliveryPending }
    }

    /// The daemons not running, each with the tail of its log.
    func agenciesDown() -> [String] {
        agencies.sorted { $0.key < $1.key }.compactMap { origin, agency in
            agency.child?.isRunning == true ? nil : "ibm-\(origin) is not running:\n\(agency.log.suffix(2000))"
        }
    }

    /// The hub's metric `name` (summed over the series whose labels contain `label`) from its
    /// `/metrics`; nil if the hub does not answer.
    func hubMetric(_ name: String, label: String = "") -> Double? {
        guard let metrics = HubProcess.httpGet(port: hub.httpPort, path: "/metrics"), metrics.status == 200 else { return nil }
        var total = 0.0
        for line in metrics.body.split(separator: "\n") where line.hasPrefix(name) {
            let series = line.prefix { $0 != " " }
            guard series == name || series.hasPrefix(name + "{"), label.isEmpty || series.contains(label),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total += value
        }
        return total
    }

    /// The probes' acks, in the checker's intake-answer form.
    func probeAnswers() -> [IntakeAnswer] {
        probeAcks.map { id, ack in
            IntakeAnswer(origin: "border", alertID: id, ack: (ack.seq, ack.outcome.jsonName ?? "?"), nackCode: nil)
        }
    }

    /// Every (origin, id) the run may have put in the journal: the load and the probes sent.
    var expectedKeys: Set<String> {
        load.keys.union((0...probeCount).map { alertKey("border", "bor-\(runTag)-probe-\($0)") })
    }

    // MARK: Hub faults

    /// SIGKILL, restart, and the seconds from the restart to the first ack of a new alert.
    func killAndRestartHub() throws -> Double {
        hub.kill9()
        return try restartHub()
    }

    /// Starts the hub and times restart -> first new ack.
    func restartHub() throws -> Double {
        let started = monotonicSeconds()
        try hub.start()
        try probe()
        return monotonicSeconds() - started
    }

    /// Sends one new alert (border) and waits for its ack; the ack joins the intake record.
    @discardableResult
    func probe(timeoutSeconds: Double = 120) throws -> Ibm_V1_Ack {
        probeCount += 1
        var alert = load.byOrigin["border"]![probeCount % load.byOrigin["border"]!.count]
        alert.id = "bor-\(runTag)-probe-\(probeCount)"
        alert.subjects = []
        let client = try IngestClient(context: context, endpoint: "tcp://127.0.0.1:\(hub.ingestPort)",
                                      security: .insecure, window: 1, resendAfterMilliseconds: 500)
        let deadline = monotonicSeconds() + timeoutSeconds
        while true {
            var answer: PublishAnswer?
            let left = max(deadline - monotonicSeconds(), 0.1)
            try client.publish([alert], timeoutMilliseconds: Int64(left * 1000)) { _, reply in answer = reply }
            switch answer {
            case let .ack(ack)?:
                probeAcks[alert.id] = ack
                return ack
            case let .nack(nack)? where nack.code == .unavailable && monotonicSeconds() < deadline:
                // The hub says when to retry (a full disk, a failed commit): an agency would wait and resend.
                sleepSeconds(max(Double(nack.retryAfterMs) / 1000, 0.1))
            case let .nack(nack)?:
                throw TestFailure("probe \(alert.id) nacked: \(nack.code) \(nack.reason)")
            case nil:
                throw TestFailure("probe \(alert.id): no answer within \(timeoutSeconds) s")
            }
        }
    }

    /// Stops every process of the run (the hub gracefully).
    func stopAll() {
        for subscriber in subscribers { subscriber.child.signal(SIGCONT); subscriber.child.terminate(graceSeconds: 3) }
        for agency in agencies.values { agency.child?.signal(SIGCONT); agency.stop() }
        hub.child?.signal(SIGCONT)
        hub.stop()
    }
}

/// One answer of the intake: an ack (seq, outcome) or a nack (code).
struct IntakeAnswer {
    var origin: String
    var alertID: String
    var ack: (seq: UInt64, outcome: String)?
    var nackCode: String?
}

/// A feed subscriber process and the JSON lines it wrote.
final class Subscriber {
    let child: ChildProcess
    let url: URL

    init(child: ChildProcess, url: URL) {
        self.child = child
        self.url = url
    }

    /// The picture folded from everything the subscriber printed so far.
    func picture() -> FoldedPicture {
        var picture = FoldedPicture()
        let parser = JSONParser()
        for line in completeLines(of: url) where line.first == "{" {
            if let value = try? parser.parse(line) { picture.apply(value) }
        }
        return picture
    }
}

/// Open incidents by id, folded from snapshot lines and picture events (the JSON of `watch`/`replay`).
struct FoldedPicture {
    var incidents: [String: JSONValue] = [:]
    var lastSeq: UInt64 = 0
    var lines = 0
    /// Events whose seq did not increase (a subscriber must see each event once, in order).
    var outOfOrder: [UInt64] = []

    mutating func apply(_ line: JSONValue) {
        guard case let .string(kind)? = line["kind"], let incident = line["incident"],
              case let .string(id)? = incident["id"], case let .number(seqText)? = line["seq"], let seq = UInt64(seqText)
        else { return }
        lines += 1
        if kind == "snapshot" {
            lastSeq = max(lastSeq, seq)
        } else {
            if seq <= lastSeq { outOfOrder.append(seq) }
            lastSeq = max(lastSeq, seq)
        }
        if kind == "closed" { incidents[id] = nil } else { incidents[id] = incident }
    }
}

/// The lines of a file that end in a newline (a writer may be mid-line).
func completeLines(of url: URL) -> [String] {
    guard let data = try? Data(contentsOf: url) else { return [] }
    var text = String(decoding: data, as: UTF8.self)
    if let last = text.lastIndex(of: "\n") { text = String(text[..<last]) } else { return [] }
    return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
}
