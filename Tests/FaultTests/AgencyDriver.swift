import Foundation
import Synchronization
import IBMProtocol
import TestSupport

/// Continuous load through the agency daemons' HTTP intakes: one thread per agency POSTs its
/// alerts in small batches and records which the intake took (2xx). A batch that got no answer
/// (the daemon was killed, or not up yet) is posted again until one comes: an agency system's
/// at-least-once hand-over.
final class AgencyDriver: Sendable {
    private struct Record {
        var taken: [String: [String]] = [:]
        var refused: [String] = []
        var retries = 0
        var finished = 0
    }

    private let record = Mutex(Record())
    private let agencies: Int

    /// Starts posting `load` to the intakes at `ports` (agency -> HTTP port), `batch` alerts per
    /// POST, pausing `pause` seconds between POSTs.
    init(load: AlertLoad, ports: [String: Int], batch: Int = 10, pause: Double = 0.05) {
        agencies = ports.count
        let codec = AlertJSON()
        for (origin, port) in ports {
            let alerts = load.byOrigin[origin] ?? []
            let thread = Thread { [self] in
                var start = 0
                while start < alerts.count {
                    let chunk = Array(alerts[start..<min(start + batch, alerts.count)])
                    let body = "[" + chunk.map { codec.encodeString($0) }.joined(separator: ",") + "]"
                    while true {
                        let response = HTTPClient.request("POST", port: port, path: "/v1/alerts",
                                                          headers: ["Content-Type": "application/json"],
                                                          body: Array(body.utf8), timeoutSeconds: 30)
                        if let response, (200..<300).contains(response.status) {
                            record.withLock { $0.taken[origin, default: []] += chunk.map(\.id) }
                            break
                        }
                        if let response, response.status == 400 {
                            record.withLock { $0.refused.append("\(origin): \(response.body.prefix(300))") }
                            break
                        }
                        record.withLock { $0.retries += 1 }
                        usleep(100_000)
                    }
                    start += batch
                    if pause > 0 { usleep(useconds_t(pause * 1_000_000)) }
                }
                record.withLock { $0.finished += 1 }
            }
            thread.name = "fault.driver.\(origin)"
            thread.start()
        }
    }

    var running: Bool { record.withLock { $0.finished < agencies } }
    /// Alert ids each intake answered 2xx, by agency.
    var takenIDs: [String: [String]] { record.withLock { $0.taken } }
    var refusals: [String] { record.withLock { $0.refused } }
    var postRetries: Int { record.withLock { $0.retries } }

    /// The hub's answer to each taken alert, as its daemon reports it (GET /v1/alerts/{id}),
    /// waiting up to `timeout` for alerts still queued (0: their state now). One thread per agency.
    func deliveryStates(ports: [String: Int], timeout: Double) -> [IntakeAnswer] {
        let parser = JSONParser()
        let deadline = monotonicSeconds() + timeout
        let agencies = takenIDs.compactMap { origin, ids in ports[origin].map { (origin, $0, Set(ids)) } }
        let collected = Mutex<[IntakeAnswer]>([])
        DispatchQueue.concurrentPerform(iterations: agencies.count) { index in
            let (origin, port, ids) = agencies[index]
            var answers: [IntakeAnswer] = []
            for id in ids {
                var answer = IntakeAnswer(origin: origin, alertID: id, ack: nil, nackCode: nil)
                while true {
                    let response = HTTPClient.request("GET", port: port, path: "/v1/alerts/\(id)", timeoutSeconds: 10)
                    if let response, response.status == 200, let value = try? parser.parse(response.body),
                       case let .string(state)? = value["state"] {
                        if state == "acked", case let .number(seq)? = value["seq"], case let .string(outcome)? = value["outcome"] {
                            answer.ack = (UInt64(seq) ?? 0, outcome)
                            break
                        }
                        if state == "nacked" {
                            if case let .string(code)? = value["code"] { answer.nackCode = code } else { answer.nackCode = "?" }
                            break
                        }
                    }
                    if monotonicSeconds() > deadline { break }
                    usleep(200_000)
                }
                answers.append(answer)
            }
            collected.withLock { $0 += answers }
        }
        return collected.withLock { $0 }
    }
}
