import Foundation
import Testing
import ZeroMQ

@Suite("Error mapping", .timeLimit(.minutes(1)))
struct ErrorTests {
    @Test func bindToBadEndpointThrows() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.pull)

        let unknownTransport = #expect(throws: ZMQError.self) { try socket.bind("bogus://nowhere") }
        #expect(unknownTransport?.errno == EPROTONOSUPPORT)
        #expect(unknownTransport?.call == "zmq_bind")
        #expect(unknownTransport?.message == String(cString: strerror(EPROTONOSUPPORT)))
        #expect(unknownTransport?.detail == "bogus://nowhere")
        #expect(unknownTransport?.isTerminated == false)
        #expect(unknownTransport?.description.contains("zmq_bind") == true)

        let badAddress = #expect(throws: ZMQError.self) { try socket.bind("tcp://127.0.0.1:notaport") }
        #expect(badAddress?.errno == EINVAL)

        let badConnect = #expect(throws: ZMQError.self) { try socket.connect("tcp://") }
        #expect(badConnect?.call == "zmq_connect")
    }

    @Test func wouldBlockIsAValueNotAnError() throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        try pull.bind(Transport.inproc.bindEndpoint)
        #expect(try pull.receive(dontWait: true) == nil)
        #expect(try pull.receiveMultipart(dontWait: true) == nil)
        #expect(try pull.receiveFrames(dontWait: true) == nil)

        // A PUSH with no peer has nowhere to queue.
        let push = try context.makeSocket(.push)
        #expect(try push.send("nobody", dontWait: true) == false)
        #expect(try push.sendMultipart([bytes("a"), bytes("b")], dontWait: true) == false)

        // An expired receive timeout is the same outcome.
        try pull.set(.receiveTimeout, 1)
        #expect(try pull.receive() == nil)
    }

    @Test func shutdownIsReportedAsTerminated() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.pull)
        try socket.bind(Transport.inproc.bindEndpoint)
        context.shutdown()

        let error = #expect(throws: ZMQError.self) { _ = try socket.receive() }
        #expect(error?.isTerminated == true)
        #expect(error?.call == "zmq_msg_recv")
        let noSocket = #expect(throws: ZMQError.self) { _ = try context.makeSocket(.push) }
        #expect(noSocket?.isTerminated == true)
    }

    @Test func shutdownWakesABlockedReceiveOnAnotherThread() async throws {
        let context = try ZMQContext()
        let endpoint = Transport.inproc.bindEndpoint
        let worker = try ConfinedThread(name: "test.blocked") { () -> ZMQError? in
            do throws(ZMQError) {
                let socket = try context.makeSocket(.pull)
                try socket.bind(endpoint)
                _ = try socket.receive()  // no timeout: only the shutdown ends it
                return nil
            } catch {
                return error
            }
        }
        context.shutdown()
        let error = await worker.value
        #expect(error?.isTerminated == true)
    }

    @Test func closedSocketThrows() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.pair)
        socket.close()
        socket.close()  // idempotent
        #expect(socket.isClosed)
        let error = #expect(throws: ZMQError.self) { try socket.send("x") }
        #expect(error?.errno == ENOTSOCK)
    }

    @Test func badOptionValues() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        let tooBig = #expect(throws: ZMQError.self) { try socket.set(.linger, Int(Int32.max) + 1) }
        #expect(tooBig?.errno == EINVAL)
        let wrongSocket = #expect(throws: ZMQError.self) { try socket.set(.xpubManual, true) }
        #expect(wrongSocket?.call == "zmq_setsockopt")
        #expect(wrongSocket?.detail == "ZMQ_XPUB_MANUAL")
    }

    @Test func z85RoundTripAndErrors() throws {
        // The test vector of RFC 32.
        let vector: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(vector) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == vector)
        #expect(try Z85.encode([]) == "")
        let random = (0..<64).map { _ in UInt8.random(in: 0...255) }
        #expect(try Z85.decode(Z85.encode(random)) == random)

        let shortInput = #expect(throws: ZMQError.self) { try Z85.encode([1, 2, 3]) }
        #expect(shortInput?.errno == EINVAL)
        #expect(shortInput?.detail?.contains("multiple of 4") == true)

        let shortText = #expect(throws: ZMQError.self) { try Z85.decode("Hello1") }
        #expect(shortText?.detail?.contains("multiple of 5") == true)

        let badCharacter = #expect(throws: ZMQError.self) { try Z85.decode("Hel~o") }
        #expect(badCharacter?.detail?.contains("offset 3") == true)

        let overflow = #expect(throws: ZMQError.self) { try Z85.decode("#####") }
        #expect(overflow?.detail?.contains("32 bits") == true)
    }
}
