import Foundation
import HubClient
import IBMProtocol
import SwiftProtobuf
import Synchronization
import TestSupport
import ZeroMQ

/// A real `ibm-hub` with CURVE on and real key pairs for each identity.
final class SecureHub {
    struct Member {
        var name: String
        var role: String
        var extra: String = ""
    }

    let hub: HubProcess
    let hubKey: CurveKeyPair
    private(set) var keys: [String: CurveKeyPair] = [:]
    private let baseYAML: String

    init(label: String, members: [Member], extraYAML: String = "") throws {
        hubKey = try CurveKeyPair.generate()
        let keyDirectory = try TestPaths.temporaryDirectory("keys")
        let keyFile = keyDirectory.appendingPathComponent("hub.key")
        try hubKey.secretKeyZ85.write(to: keyFile, atomically: true, encoding: .utf8)
        baseYAML = "security:\n  server_secret_key_file: \(keyFile.path)\n" + extraYAML
        hub = try HubProcess(label: label, extraYAML: baseYAML)
        try writeIdentities(members)
    }

    /// Rewrites the identities of the config file (new names get new keys).
    func writeIdentities(_ members: [Member]) throws {
        var yaml = "identities:\n"
        for member in members {
            let pair = try keys[member.name] ?? CurveKeyPair.generate()
            keys[member.name] = pair
            yaml += "  - name: \(member.name)\n    role: \(member.role)\n    public_key: \"\(pair.publicKeyZ85)\"\n"
            if !member.extra.isEmpty { yaml += "    " + member.extra + "\n" }
        }
        var text = try String(contentsOf: hub.configURL, encoding: .utf8)
        if let range = text.range(of: "\nidentities:\n") { text = String(text[..<range.lowerBound]) + "\n" }
        try (text + yaml).write(to: hub.configURL, atomically: true, encoding: .utf8)
    }

    /// A new key for `name` (rotation); the old one is forgotten by the test.
    func rotateKey(of name: String) throws {
        keys[name] = try CurveKeyPair.generate()
    }

    func security(_ name: String) throws -> ClientSecurity {
        guard let pair = keys[name] else { throw TestFailure("no key for \(name)") }
        return .curve(serverPublicKey: hubKey.publicKey, client: pair)
    }

    /// A key the hub has never heard of.
    func strangerSecurity() throws -> ClientSecurity {
        .curve(serverPublicKey: hubKey.publicKey, client: try CurveKeyPair.generate())
    }

    var address: HubAddress { hub.address }

    /// Sends SIGHUP and waits until the hub logs the reload (or its failure).
    func reload(expectReloads count: Int) throws {
        hub.child?.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if hub.log.components(separatedBy: "SIGHUP: identities").count - 1 >= count { return }
            usleep(50_000)
        }
        throw TestFailure("the hub did not log a reload:\n\(hub.log)")
    }
}

/// A raw SUB socket on the feed that records everything it receives.
final class FeedTap {
    let socket: Socket
    private(set) var messages: [[[UInt8]]] = []

    init(context: ZMQContext, hub: SecureHub, security: ClientSecurity, prefixes: [String] = [""]) throws {
        socket = try context.makeSocket(.sub)
        try socket.set(.linger, 0)
        try security.apply(to: socket)
        for prefix in prefixes { try socket.subscribe(prefix) }
        try socket.connect(hub.address.feed)
    }

    deinit { socket.close() }

    /// Receives for `milliseconds`, or until `until` holds.
    func collect(milliseconds: Int64, until: ([[[UInt8]]]) -> Bool = { _ in false }) throws {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        var poller = Poller()
        try poller.add(socket)
        while Date() < deadline, !until(messages) {
            guard try poller.poll(timeoutMilliseconds: 50).isReadable(0) else { continue }
            while let frames = try socket.receiveMultipart(dontWait: true) { messages.append(frames) }
        }
    }

    func drop() { messages.removeAll() }

    var topics: [String] { messages.map { String(decoding: $0.first ?? [], as: UTF8.self) } }

    var events: [Ibm_V1_PictureEvent] {
        messages.compactMap { frames in
            guard frames.count == 2, !String(decoding: frames[0], as: UTF8.self).hasSuffix("/hb") else { return nil }
            return try? Ibm_V1_PictureEvent(serializedBytes: frames[1])
        }
    }

    var heartbeats: Int { topics.filter { $0.hasSuffix("/hb") }.count }

    /// Whether any byte sequence received contains `text`.
    func contains(_ text: String) -> Bool {
        messages.contains { frames in frames.contains { bytesContain($0, text) } }
    }
}

func bytesContain(_ bytes: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard !needle.isEmpty, bytes.count >= needle.count else { return false }
    for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
        if Array(bytes[start..<start + needle.count]) == needle { return true }
    }
    return false
}

/// An alert in the JSON form of DESIGN §4.
func makeAlert(_ id: String, origin: String, tlp: String = "green", recipients: [String] = [], plate: String,
               headline: String, category: String = "smuggling_goods", msgType: String = "alert",
               references: [String] = [], lat: Double = 32.01) throws -> Ibm_V1_Alert {
    let recipientList = recipients.map { "\"\($0)\"" }.joined(separator: ",")
    let referenceList = references.map { "\"\($0)\"" }.joined(separator: ",")
    let json = """
    {"id":"\(id)","origin":"\(origin)","msg_type":"\(msgType)","references":[\(referenceList)],
     "observed_at":"2026-11-21T08:10:00Z","category":"\(category)","severity":"severe","urgency":"immediate",
     "certainty":"observed","tlp":"\(tlp)","recipients":[\(recipientList)],"headline":"\(headline)",
     "location":{"lat":\(lat),"lon":10.70,"place":"Dehiba-Wazen BCP","sector":"TN-LY"},
     "subjects":[{"kind":"vehicle","plate":"\(plate)","country":"TN"}]}
    """
    return try AlertJSON().decode(json.replacingOccurrences(of: "\n", with: ""))
}

/// Publishes with `security`, returning one answer (or nil) per alert.
func publish(_ alerts: [Ibm_V1_Alert], to hub: SecureHub, as security: ClientSecurity, context: ZMQContext,
             window: Int = 1000, timeoutMilliseconds: Int64 = 20_000) throws -> [PublishAnswer?] {
    let client = try IngestClient(context: context, endpoint: hub.address.ingest, security: security, window: window)
    var answers = [PublishAnswer?](repeating: nil, count: alerts.count)
    try client.publish(alerts, timeoutMilliseconds: timeoutMilliseconds) { answers[$0] = $1 }
    return answers
}

/// Every record of a replay from seq 1, alerts included.
func replayAll(_ hub: SecureHub, as security: ClientSecurity, context: ZMQContext) throws -> [Ibm_V1_ReplayRecord] {
    let client = try SyncClient(context: context, endpoint: hub.address.sync, security: security)
    var request = Ibm_V1_ReplayRequest()
    request.fromSeq = 1
    request.includeAlerts = true
    var records: [Ibm_V1_ReplayRecord] = []
    try client.replay(request, timeoutMilliseconds: 5000) { records.append($0) }
    return records
}
