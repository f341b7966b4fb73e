import Foundation
import Testing
import ZeroMQ

@Suite("CURVE, PLAIN and the ZAP handler", .timeLimit(.minutes(1)))
struct SecurityTests {
    @Test func curveHandshakeSucceeds() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let server = try context.makeSocket(.router)
        let client = try context.makeSocket(.dealer)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try client.makeCurveClient(serverPublicKey: serverKeys.publicKey, clientKeyPair: .generate())
        let monitor = try server.makeMonitor(events: [.handshakeSucceeded])
        try bound(server, client)
        try link(server, client, over: .tcp)

        #expect(try monitor.next(timeoutMilliseconds: patience)?.kind == .handshakeSucceeded)
        try client.send("encrypted hello")
        #expect(try server.receiveMultipart()?.last == bytes("encrypted hello"))
        #expect(try server.get(.mechanism) == 2)  // ZMQ_CURVE
    }

    @Test func curveWithWrongServerKeyFails() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let impostor = try CurveKeyPair.generate()
        let server = try context.makeSocket(.pull)
        let client = try context.makeSocket(.push)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try client.makeCurveClient(serverPublicKey: impostor.publicKey, clientKeyPair: .generate())
        let monitor = try server.makeMonitor(events: .handshakeFailed)
        try link(server, client, over: .tcp)
        try client.send("must not arrive")

        let failure = try monitor.next(timeoutMilliseconds: patience)
        #expect(failure?.kind == .handshakeFailedProtocol(code: 0x1100_0001))  // cryptographic error
        try bound(server, milliseconds: 200)
        #expect(try server.receive() == nil)
    }

    @Test func zapHandlerRefusesUnknownKeyAndAdmitsKnownOne() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let known = try CurveKeyPair.generate()
        let requests = Recorder<ZAPRequest>()
        let handler = try ZAPHandler(context: context) { request in
            requests.append(request)
            return request.curvePublicKey == known.publicKey
                ? .allow(userId: "alice") : .deny(status: 400, reason: "unknown key")
        }
        defer { handler.stop() }

        let server = try context.makeSocket(.pull)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try server.set(.zapDomain, "hub")
        try server.bind(Transport.tcp.bindEndpoint)
        let endpoint = try server.lastEndpoint
        let monitor = try server.makeMonitor(events: .handshakeFailed)

        // Unknown key: refused with the handler's status, nothing delivered.
        let stranger = try context.makeSocket(.push)
        try stranger.makeCurveClient(serverPublicKey: serverKeys.publicKey, clientKeyPair: .generate())
        try stranger.connect(endpoint)
        try stranger.send("from a stranger")
        #expect(try monitor.next(timeoutMilliseconds: patience)?.kind == .handshakeFailedAuth(status: 400))
        try bound(server, milliseconds: 200)
        #expect(try server.receive() == nil)
        stranger.close()

        // Known key: admitted, and every message carries the user id the handler chose.
        let friend = try context.makeSocket(.push)
        try friend.makeCurveClient(serverPublicKey: serverKeys.publicKey, clientKeyPair: known)
        try friend.connect(endpoint)
        try friend.send("from a friend")
        try bound(server)
        guard let message = try server.receive() else {
            Issue.record("the admitted client's message did not arrive")
            return
        }
        #expect(message.string == "from a friend")
        #expect(message.metadata("User-Id") == "alice")
        #expect(message.userId == "alice")
        #expect(message.metadata("Peer-Address") == "127.0.0.1")

        let seen = requests.all
        #expect(seen.count >= 2)
        #expect(seen.allSatisfy { $0.mechanism == "CURVE" && $0.domain == "hub" && $0.address == "127.0.0.1" })
        #expect(seen.contains { $0.curvePublicKey == known.publicKey })
        #expect(handler.stop() == nil)
    }

    @Test func xpubManualGrantsADifferentPrefix() throws {
        let context = try ZMQContext()
        let hubKeys = try CurveKeyPair.generate()
        let subscriberKeys = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { request in
            request.curvePublicKey == subscriberKeys.publicKey
                ? .allow(userId: "bob") : .deny(reason: "unknown key")
        }
        defer { handler.stop() }

        let xpub = try context.makeSocket(.xpub)
        try xpub.makeCurveServer(secretKey: hubKeys.secretKey)
        try xpub.set(.xpubManual, true)
        let sub = try context.makeSocket(.sub)
        try sub.makeCurveClient(serverPublicKey: hubKeys.publicKey, clientKeyPair: subscriberKeys)
        try bound(xpub, sub)
        try link(xpub, sub, over: .tcp)

        try sub.subscribe("a.")
        let request = try xpub.receiveFrames()
        #expect(request?.frames == [[1] + bytes("a.")])
        #expect(request?.userId == "bob")

        // The hub narrows "a." to "a.b"; the SUB still filters by its own "a.".
        try xpub.subscribe("a.b")
        for topic in ["a.c.1", "x.1", "a.b.1", "x.b", "a.b.end"] {
            try xpub.send(topic)
        }
        #expect(try sub.receive()?.string == "a.b.1")
        #expect(try sub.receive()?.string == "a.b.end")
    }

    @Test func plainCredentialsReachTheHandler() throws {
        let context = try ZMQContext()
        let handler = try ZAPHandler(context: context) { request in
            request.mechanism == "PLAIN" && request.username == "carol" && request.password == "s3cret"
                ? .allow(userId: "user:carol") : .deny(reason: "bad password")
        }
        defer { handler.stop() }

        let server = try context.makeSocket(.pull)
        let client = try context.makeSocket(.push)
        try server.makePlainServer()
        try client.makePlainClient(username: "carol", password: "s3cret")
        try bound(server)
        try link(server, client, over: .tcp)
        try client.send("hi")
        guard let message = try server.receive() else {
            Issue.record("the PLAIN client's message did not arrive")
            return
        }
        #expect(message.string == "hi")
        #expect(message.userId == "user:carol")
    }

    @Test func zapHandlerSurvivesMalformedRequests() throws {
        let context = try ZMQContext()
        let handler = try ZAPHandler(context: context) { request in
            .allow(userId: "\(request.mechanism):\(request.domain)")
        }
        defer { handler.stop() }

        // Talk to the handler directly, as libzmq would.
        let zap = try context.makeSocket(.req)
        try bound(zap)
        try zap.connect(ZAPHandler.endpoint)

        let malformed: [[[UInt8]]] = [
            [bytes("garbage")],
            [bytes("2.0"), bytes("id"), bytes("d"), bytes("addr"), [], bytes("NULL")],
            [bytes("1.0"), bytes("id"), bytes("d"), bytes("addr"), [], bytes("CURVE"), [1, 2, 3]],
            [bytes("1.0"), bytes("id"), bytes("d"), bytes("addr"), [], bytes("PLAIN"), bytes("only-user")],
            [bytes("1.0"), bytes("id"), bytes("d"), bytes("addr"), [], bytes("GSSAPI")],
        ]
        for request in malformed {
            try zap.sendMultipart(request)
            let reply = strings(try zap.receiveMultipart())
            #expect(reply?.count == 6)
            #expect(reply?[2] == "500")
        }

        try zap.sendMultipart([bytes("1.0"), bytes("42"), bytes("hub"), bytes("10.0.0.1"), [], bytes("NULL")])
        #expect(strings(try zap.receiveMultipart()) == ["1.0", "42", "200", "OK", "NULL:hub", ""])
    }

    @Test func oneZapHandlerPerContext() throws {
        let context = try ZMQContext()
        let first = try ZAPHandler(context: context) { _ in .allow(userId: "") }
        defer { first.stop() }
        let error = #expect(throws: ZMQError.self) {
            _ = try ZAPHandler(context: context) { _ in .allow(userId: "") }
        }
        #expect(error?.errno == EADDRINUSE)
        #expect(error?.call == "zmq_bind")
    }

    @Test func zapHandlerStopsOnContextShutdown() async throws {
        let context = try ZMQContext()
        let handler = try ZAPHandler(context: context) { _ in .allow(userId: "") }
        #expect(handler.isRunning)
        context.shutdown()
        for _ in 0..<(patience / 10) where handler.isRunning {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!handler.isRunning)
        #expect(handler.stop() == nil)
    }

    @Test func curveKeys() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 32 && pair.secretKey.count == 32)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(try CurveKeyPair(z85SecretKey: pair.secretKeyZ85) == pair)
        #expect(pair.publicKeyZ85.count == 40)
        #expect(!String(describing: pair).contains(pair.secretKeyZ85))
        #expect(!String(reflecting: pair).contains(pair.secretKeyZ85))
        #expect(throws: ZMQError.self) { try CurveKeyPair(secretKey: [1, 2, 3]) }
        #expect(ZMQContext.has("curve"))
    }
}
