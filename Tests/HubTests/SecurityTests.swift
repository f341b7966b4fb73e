import Foundation
import HubClient
import IBMProtocol
import TestSupport
import Testing
import ZeroMQ

@Suite(.serialized) struct SecurityTests {
    /// A hub with CURVE on, admitting `border` and `customs`; returns it with the client key pairs.
    private func secureHub() throws -> (HubProcess, hubKey: CurveKeyPair, [String: CurveKeyPair]) {
        let hubKey = try CurveKeyPair.generate()
        var clients: [String: CurveKeyPair] = [:]
        var identities = "identities:\n"
        for name in ["border", "customs"] {
            let pair = try CurveKeyPair.generate()
            clients[name] = pair
            identities += "  - name: \(name)\n    role: agency\n    public_key: \"\(pair.publicKeyZ85)\"\n"
        }
        let keyDirectory = try TestPaths.temporaryDirectory("keys")
        let keyFile = keyDirectory.appendingPathComponent("hub.key")
        try hubKey.secretKeyZ85.write(to: keyFile, atomically: true, encoding: .utf8)
        let hub = try HubProcess(label: "secure", extraYAML: "security:\n  server_secret_key_file: \(keyFile.path)\n" + identities)
        return (hub, hubKey, clients)
    }

    @Test func curveIdentityStampsOriginAndRefusesSpoofingAndStrangers() throws {
        let (hub, hubKey, clients) = try secureHub()
        try hub.start(arguments: [])
        defer { hub.stop() }
        let context = try ZMQContext()
        var alerts = Array(try DevScenario.alerts().filter { $0.origin == "border" && $0.msgType == .alert }.prefix(3))
        alerts[1].origin = ""          // empty: stamped from the key
        alerts[2].origin = "customs"   // spoofed: refused
        let border = try IngestClient(
            context: context, endpoint: hub.address.ingest,
            security: .curve(serverPublicKey: hubKey.publicKey, client: try #require(clients["border"])))
        var answers = [PublishAnswer?](repeating: nil, count: alerts.count)
        try border.publish(alerts, timeoutMilliseconds: 20_000) { answers[$0] = $1 }
        #expect(answers[0]?.ack?.outcome == .accepted)
        #expect(answers[1]?.ack != nil)
        #expect(answers[2]?.nack?.code == .forbidden)
        #expect(answers[2]?.nack?.reason.contains("does not match the authenticated identity \"border\"") == true)

        // A key the hub does not know gets nothing at all.
        let stranger = try IngestClient(
            context: context, endpoint: hub.address.ingest,
            security: .curve(serverPublicKey: hubKey.publicKey, client: try CurveKeyPair.generate()))
        var strangerAnswers = 0
        let unanswered = try stranger.publish([alerts[0]], timeoutMilliseconds: 2000) { _, _ in strangerAnswers += 1 }
        #expect(strangerAnswers == 0)
        #expect(unanswered == [0])

        // A client that trusts the wrong server key gets nothing either.
        let misled = try IngestClient(
            context: context, endpoint: hub.address.ingest,
            security: .curve(serverPublicKey: try CurveKeyPair.generate().publicKey, client: try #require(clients["customs"])))
        var misledAnswers = 0
        try misled.publish([alerts[0]], timeoutMilliseconds: 2000) { _, _ in misledAnswers += 1 }
        #expect(misledAnswers == 0)
        #expect(hub.log.contains("unknown client key refused"))
    }

    @Test func insecureModeIsRefusedOffLoopback() throws {
        let hub = try HubProcess(label: "offloop")
        var yaml = try String(contentsOf: hub.configURL, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "tcp://127.0.0.1:\(hub.feedPort)", with: "tcp://*:\(hub.feedPort)")
        try yaml.write(to: hub.configURL, atomically: true, encoding: .utf8)
        #expect(throws: TestFailure.self) { try hub.start(timeoutSeconds: 20) }
        #expect(hub.log.contains("endpoints.feed: --insecure is only allowed when every endpoint is on loopback"))
    }

    @Test func aBadConfigFileNamesTheFileLineAndKey() throws {
        let hub = try HubProcess(label: "badconfig", extraYAML: "limits:\n  max_sync_streams: lots\n")
        #expect(throws: TestFailure.self) { try hub.start(timeoutSeconds: 20) }
        #expect(hub.log.contains("hub.yaml:"))
        #expect(hub.log.contains("limits.max_sync_streams"))
    }
}
