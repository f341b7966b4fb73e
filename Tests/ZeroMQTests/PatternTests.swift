import Foundation
import Testing
import ZeroMQ

@Suite("Messaging patterns over inproc and TCP", .timeLimit(.minutes(1)))
struct PatternTests {
    @Test(arguments: Transport.allCases)
    func pair(_ transport: Transport) throws {
        let context = try ZMQContext()
        let a = try context.makeSocket(.pair)
        let b = try context.makeSocket(.pair)
        try bound(a, b)
        try link(a, b, over: transport)

        #expect(try b.send("ping"))
        #expect(try a.receive()?.string == "ping")
        #expect(try a.send(bytes("pong")))
        #expect(try b.receive()?.string == "pong")
    }

    @Test(arguments: Transport.allCases)
    func pushPull(_ transport: Transport) throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        let push = try context.makeSocket(.push)
        try bound(pull)
        try link(pull, push, over: transport)

        for index in 0..<100 {
            try push.send("message \(index)")
        }
        for index in 0..<100 {
            #expect(try pull.receive()?.string == "message \(index)")
        }
    }

    @Test(arguments: Transport.allCases)
    func pubSub(_ transport: Transport) throws {
        let context = try ZMQContext()
        let pub = try context.makeSocket(.pub)
        let sub = try context.makeSocket(.sub)
        try sub.subscribe("weather.")
        try link(pub, sub, over: transport)
        try bound(sub, milliseconds: 20)

        // The subscription reaches the publisher asynchronously: publish until it arrives.
        var received: String?
        for _ in 0..<(patience / 20) where received == nil {
            try pub.send("sports.score 1")
            try pub.send("weather.today sunny")
            received = try sub.receive()?.string
        }
        #expect(received == "weather.today sunny")
    }

    @Test(arguments: Transport.allCases)
    func xpubXsub(_ transport: Transport) throws {
        let context = try ZMQContext()
        let xpub = try context.makeSocket(.xpub)
        let xsub = try context.makeSocket(.xsub)
        try bound(xpub, xsub)
        try link(xpub, xsub, over: transport)

        // On an XSUB a subscription is a message: 0x01 then the prefix.
        try xsub.send([1] + bytes("news."))
        #expect(try xpub.receive()?.bytes == [1] + bytes("news."))

        try xpub.send("other.item")
        try xpub.send("news.item")
        #expect(try xsub.receive()?.string == "news.item")
    }

    @Test(arguments: Transport.allCases)
    func dealerRouter(_ transport: Transport) throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        let dealer = try context.makeSocket(.dealer)
        try router.set(.routerMandatory, true)
        try dealer.set(.routingId, bytes("dealer-1"))
        try bound(router, dealer)
        try link(router, dealer, over: transport)

        #expect(try dealer.sendMultipart([bytes("hello"), bytes("world")]))
        let request = try router.receiveMultipart()
        #expect(strings(request) == ["dealer-1", "hello", "world"])

        #expect(try router.sendMultipart([bytes("dealer-1"), bytes("reply")]))
        #expect(strings(try dealer.receiveMultipart()) == ["reply"])

        // ROUTER_MANDATORY: an unknown routing id is an error, not a silent drop.
        let error = #expect(throws: ZMQError.self) {
            try router.sendMultipart([bytes("nobody"), bytes("lost")])
        }
        #expect(error?.errno == EHOSTUNREACH)
    }

    @Test(arguments: Transport.allCases)
    func reqRep(_ transport: Transport) throws {
        let context = try ZMQContext()
        let rep = try context.makeSocket(.rep)
        let req = try context.makeSocket(.req)
        try bound(rep, req)
        try link(rep, req, over: transport)

        for round in 0..<3 {
            try req.send("ping \(round)")
            #expect(try rep.receive()?.string == "ping \(round)")
            try rep.send("pong \(round)")
            #expect(try req.receive()?.string == "pong \(round)")
        }
    }

    @Test(arguments: Transport.allCases)
    func multipartRoundTrip(_ transport: Transport) throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        let push = try context.makeSocket(.push)
        try bound(pull)
        try link(pull, push, over: transport)

        let frames: [[UInt8]] = [bytes("header"), [], Array(repeating: 0xAB, count: 70_000), [0, 1, 2]]
        #expect(try push.sendMultipart(frames))
        let received = try pull.receiveFrames()
        #expect(received?.frames == frames)
        #expect(received?.userId == nil)

        // Frame by frame, without copying, with the `more` flags.
        try push.sendMultipart([bytes("a"), bytes("b")])
        var seen: [(String, Bool)] = []
        #expect(try pull.receiveEachFrame { seen.append(($0.string, $0.more)) })
        #expect(seen.map(\.0) == ["a", "b"])
        #expect(seen.map(\.1) == [true, false])
    }
}
