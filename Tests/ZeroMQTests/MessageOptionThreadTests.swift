import Foundation
import Testing
import ZeroMQ

@Suite("Messages, options and confined threads", .timeLimit(.minutes(1)))
struct MessageOptionThreadTests {
    @Test func messageContent() throws {
        let empty = Message()
        #expect(empty.count == 0)
        #expect(empty.bytes == [])
        #expect(empty.more == false)

        let copied = try Message(copying: [1, 2, 3] as [UInt8])
        #expect(copied.count == 3)
        #expect(copied.bytes == [1, 2, 3])
        #expect(copied.withUnsafeBytes { $0.reduce(0, +) } == 6)
        #expect(copied.metadata("User-Id") == nil)

        let text = try Message("héllo")
        #expect(text.string == "héllo")

        let built = try Message(count: 4) { $0.copyBytes(from: [9, 8, 7, 6]) }
        #expect(built.bytes == [9, 8, 7, 6])
    }

    @Test func zeroCopyMessagesTravel() throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        let push = try context.makeSocket(.push)
        try bound(pull)
        try link(pull, push, over: .inproc)

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1_000, alignment: 1)
        buffer.initializeMemory(as: UInt8.self, repeating: 42)
        var original = try Message(taking: buffer)
        var shared = try original.copy()
        #expect(shared.count == 1_000)

        #expect(try push.send(original))
        // The inout form leaves the message empty once sent.
        #expect(try push.send(&shared))
        #expect(shared.count == 0)

        for _ in 0..<2 {
            var received = Message()
            #expect(try pull.receive(into: &received))
            #expect(received.bytes == [UInt8](repeating: 42, count: 1_000))
        }
    }

    @Test func optionsRoundTrip() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        try socket.set(.sendHighWaterMark, 10_000)
        try socket.set(.receiveHighWaterMark, 20_000)
        try socket.set(.linger, 250)
        try socket.set(.heartbeatInterval, 1_000)
        try socket.set(.heartbeatTimeout, 3_000)
        try socket.set(.heartbeatTTL, 5_000)
        try socket.set(.reconnectInterval, 50)
        try socket.set(.reconnectIntervalMax, 2_000)
        try socket.set(.handshakeInterval, 4_000)
        try socket.set(.sendTimeout, 100)
        try socket.set(.tcpKeepalive, 1)
        try socket.set(.tcpKeepaliveIdle, 30)
        try socket.set(.immediate, true)
        try socket.set(.routingId, bytes("me"))
        try socket.set(.zapDomain, "hub")

        #expect(try socket.get(.sendHighWaterMark) == 10_000)
        #expect(try socket.get(.receiveHighWaterMark) == 20_000)
        #expect(try socket.get(.linger) == 250)
        #expect(try socket.get(.heartbeatInterval) == 1_000)
        #expect(try socket.get(.heartbeatTimeout) == 3_000)
        #expect(try socket.get(.heartbeatTTL) == 5_000)
        #expect(try socket.get(.reconnectInterval) == 50)
        #expect(try socket.get(.reconnectIntervalMax) == 2_000)
        #expect(try socket.get(.handshakeInterval) == 4_000)
        #expect(try socket.get(.sendTimeout) == 100)
        #expect(try socket.get(.tcpKeepalive) == 1)
        #expect(try socket.get(.tcpKeepaliveIdle) == 30)
        #expect(try socket.get(.immediate))
        #expect(try socket.get(.routingId) == bytes("me"))
        #expect(try socket.get(.zapDomain) == "hub")
        #expect(socket.type == .dealer)

        let keys = try CurveKeyPair.generate()
        try socket.makeCurveServer(secretKey: keys.secretKey)
        #expect(try socket.get(.curveServer))
        #expect(try socket.get(.curveSecretKey) == keys.secretKey)
    }

    @Test func libraryVersion() {
        let version = ZMQContext.libraryVersion
        #expect(version.major == 4)
        #expect(version.minor >= 3)
    }

    @Test func confinedThreadReturnsItsValue() async throws {
        let blocking = try ConfinedThread(name: "test.join") { 6 * 7 }
        #expect(blocking.join() == 42)
        #expect(blocking.join() == 42)  // joining again is harmless
        #expect(blocking.isFinished)

        let awaited = try ConfinedThread(name: "test.await") { () -> [String] in
            // Sockets made here live and die on this thread.
            guard let context = try? ZMQContext(), let pair = try? context.makeSocket(.pair) else { return [] }
            return [String(describing: pair.type)]
        }
        #expect(await awaited.value == ["PAIR"])
        #expect(awaited.join() == ["PAIR"])
    }
}
