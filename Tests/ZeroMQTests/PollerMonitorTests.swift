import Foundation
import Testing
import ZeroMQ

@Suite("Poller, monitor and message limits", .timeLimit(.minutes(1)))
struct PollerMonitorTests {
    @Test func pollerTimeoutReturnsNothingReady() throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        try pull.bind(Transport.inproc.bindEndpoint)
        var poller = Poller()
        let index = try poller.add(pull, events: .pollIn)

        let result = try poller.poll(timeoutMilliseconds: 10)
        #expect(result.isEmpty)
        #expect(result.readyCount == 0)
        #expect(!result.isReadable(index))
        #expect(result.readable.isEmpty)
    }

    @Test func pollerReportsReadySocketsAndDescriptors() throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        let push = try context.makeSocket(.push)
        let idle = try context.makeSocket(.pull)
        try link(pull, push, over: .inproc)
        try idle.bind(Transport.inproc.bindEndpoint)

        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }

        var poller = Poller()
        let pullIndex = try poller.add(pull)
        let idleIndex = try poller.add(idle)
        let pipeIndex = poller.add(fileDescriptor: fds[0], events: .pollIn)
        let pushIndex = try poller.add(push, events: .pollOut)

        try push.send("ready")
        var byte: UInt8 = 7
        #expect(write(fds[1], &byte, 1) == 1)

        let result = try poller.poll(timeoutMilliseconds: patience)
        #expect(result.readable == [pullIndex, pipeIndex])
        #expect(!result.isReadable(idleIndex))
        #expect(result.isWritable(pushIndex))
        #expect(try pull.events.contains(.pollIn))
        #expect(try pull.fileDescriptor >= 0)
    }

    @Test func monitorReportsConnectionLifecycle() throws {
        let context = try ZMQContext()
        let server = try context.makeSocket(.router)
        let client = try context.makeSocket(.dealer)
        let serverEvents = try server.makeMonitor()
        let clientEvents = try client.makeMonitor()
        let endpoint = try link(server, client, over: .tcp)

        let connected = try clientEvents.next(timeoutMilliseconds: patience) {
            if case .connected = $0.kind { return true } else { return false }
        }
        #expect(connected?.address == endpoint)
        let accepted = try serverEvents.next(timeoutMilliseconds: patience) {
            if case .accepted = $0.kind { return true } else { return false }
        }
        #expect(accepted != nil)
        #expect(try serverEvents.next(timeoutMilliseconds: patience) { $0.kind == .handshakeSucceeded } != nil)

        client.close()
        let disconnected = try serverEvents.next(timeoutMilliseconds: patience) {
            if case .disconnected = $0.kind { return true } else { return false }
        }
        #expect(disconnected != nil)
    }

    @Test func monitorEventDecoding() {
        var raw = [UInt8](repeating: 0, count: 6)
        raw.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(0x4000), as: UInt16.self)
            $0.storeBytes(of: UInt32(400), toByteOffset: 2, as: UInt32.self)
        }
        let event = MonitorEvent(frames: [raw, bytes("tcp://127.0.0.1:5555")])
        #expect(event?.kind == .handshakeFailedAuth(status: 400))
        #expect(event?.address == "tcp://127.0.0.1:5555")
        #expect(event?.event == .handshakeFailedAuth)
        #expect(MonitorEvent(frames: [[1, 2, 3]]) == nil)
        #expect(MonitorEvent(frames: [[1, 2, 3], []]) == nil)
        #expect(MonitorEvent(event: 0x8000, value: 1, address: "").kind == .unknown(event: 0x8000, value: 1))
    }

    @Test func messageAboveMaxSizeDropsTheConnection() throws {
        let context = try ZMQContext()
        let pull = try context.makeSocket(.pull)
        let push = try context.makeSocket(.push)
        try pull.set(.maxMessageSize, 100)
        #expect(try pull.get(.maxMessageSize) == 100)
        let events = try pull.makeMonitor(events: [.disconnected])
        try link(pull, push, over: .tcp)

        try push.send([UInt8](repeating: 1, count: 1_000))
        let dropped = try events.next(timeoutMilliseconds: patience)
        #expect(dropped != nil)
        #expect(try pull.receive(dontWait: true) == nil)
    }
}
