import Foundation
import HubClient
import IBMProtocol
import TestSupport
import ZeroMQ

/// The dev scenario's alerts and its list of resent lines.
enum DevScenario {
    static func alerts() throws -> [Ibm_V1_Alert] {
        let text = try String(contentsOf: TestPaths.devScenario.appendingPathComponent("alerts.jsonl"), encoding: .utf8)
        let codec = AlertJSON()
        return try text.split(separator: "\n").map { try codec.decode(String($0)) }
    }

    /// 0-based indexes of lines that resend an earlier line.
    static func resendIndexes() throws -> Set<Int> {
        let data = try Data(contentsOf: TestPaths.devScenario.appendingPathComponent("truth.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let lines = object?["resend_lines"] as? [Int] ?? []
        return Set(lines.map { $0 - 1 })
    }
}

extension HubProcess {
    var address: HubAddress {
        HubAddress(host: "127.0.0.1", ingestPort: ingestPort, feedPort: feedPort, syncPort: syncPort, httpPort: httpPort)
    }
}

/// Publishes alerts and collects every answer, by line.
func publishAll(_ alerts: [Ibm_V1_Alert], to hub: HubProcess, context: ZMQContext, window: Int = 1000,
                timeoutMilliseconds: Int64 = 120_000) throws -> [PublishAnswer?] {
    let client = try IngestClient(context: context, endpoint: hub.address.ingest, security: .insecure, window: window)
    var answers = [PublishAnswer?](repeating: nil, count: alerts.count)
    try client.publish(alerts, timeoutMilliseconds: timeoutMilliseconds) { index, answer in answers[index] = answer }
    return answers
}

extension PublishAnswer {
    var ack: Ibm_V1_Ack? {
        if case let .ack(ack) = self { return ack }
        return nil
    }

    var nack: Ibm_V1_Nack? {
        if case let .nack(nack) = self { return nack }
        return nil
    }
}
