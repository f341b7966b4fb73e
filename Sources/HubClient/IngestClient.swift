import IBMProtocol
import SwiftProtobuf
import ZeroMQ

/// The hub's answer to one alert.
public enum PublishAnswer: Sendable, Equatable {
    case ack(Ibm_V1_Ack)
    case nack(Ibm_V1_Nack)
}

/// Publishes alerts to the hub's ingest ROUTER over a DEALER, with a bounded
/// window of unacknowledged alerts, resending after a timeout.
///
/// Confined to the thread that created it, like its socket.
public final class IngestClient {
    private let socket: Socket
    public var window: Int
    public var resendAfterMilliseconds: Int64

    /// `immediate` queues nothing while the hub is unreachable (`ZMQ_IMMEDIATE`): sends fail
    /// instead of piling up in a pipe that a reconnect would flush or lose.
    public init(context: ZMQContext, endpoint: String, security: ClientSecurity, window: Int = 1000,
                resendAfterMilliseconds: Int64 = 5000, immediate: Bool = false) throws {
        socket = try context.makeSocket(.dealer)
        try socket.set(.linger, 0)
        if immediate { try socket.set(.immediate, true) }
        try socket.set(.sendHighWaterMark, max(window * 2, 1000))
        try socket.set(.receiveHighWaterMark, max(window * 2, 1000))
        try security.apply(to: socket)
        try socket.connect(endpoint)
        self.window = window
        self.resendAfterMilliseconds = resendAfterMilliseconds
    }

    deinit { socket.close() }

    /// Sends every alert and waits for an answer to each (resending unanswered ones),
    /// calling `answered` as answers arrive. Returns the alerts left unanswered at the deadline.
    /// `pace`, if given, is the minimum gap between first sends, in microseconds.
    @discardableResult
    public func publish(
        _ alerts: [Ibm_V1_Alert], timeoutMilliseconds: Int64, paceMicroseconds: Int64 = 0,
        answered: (Int, PublishAnswer) -> Void
    ) throws -> [Int] {
        var encoded: [[UInt8]] = []
        encoded.reserveCapacity(alerts.count)
        for alert in alerts {
            var request = Ibm_V1_IngestRequest()
            request.publish = alert
            encoded.append(try request.serializedBytes())
        }
        // Several alerts may share an id (resends): answers are matched in order.
        var waiting: [String: [Int]] = [:]
        var sentAt: [Int: Int64] = [:]
        var next = 0
        var remaining = alerts.count
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        var poller = Poller()
        try poller.add(socket)
        var nextSendAt = monotonicMilliseconds() * 1000
        while remaining > 0 {
            let now = monotonicMilliseconds()
            if now >= deadline { break }
            while next < alerts.count, sentAt.count < window {
                if paceMicroseconds > 0 {
                    let nowMicros = monotonicMilliseconds() * 1000
                    if nowMicros < nextSendAt { break }
                    nextSendAt = max(nextSendAt + paceMicroseconds, nowMicros - 1_000_000)
                }
                guard try socket.send(encoded[next], dontWait: true) else { break }
                waiting[alerts[next].id, default: []].append(next)
                sentAt[next] = now
                next += 1
            }
            // Resend what has waited too long, oldest first (the hub dedups).
            for (index, time) in sentAt where now - time >= resendAfterMilliseconds {
                if try socket.send(encoded[index], dontWait: true) { sentAt[index] = now }
            }
            let wait = paceMicroseconds > 0 && next < alerts.count ? 1 : 50
            guard try poller.poll(timeoutMilliseconds: wait).isReadable(0) else { continue }
            while let frames = try socket.receiveMultipart(dontWait: true) {
                guard case let .answer(alertID, answer)? = Self.decodeReply(frames) else { continue }
                guard var indexes = waiting[alertID], let index = indexes.first(where: { sentAt[$0] != nil }) else { continue }
                indexes.removeAll { $0 == index }
                waiting[alertID] = indexes.isEmpty ? nil : indexes
                sentAt[index] = nil
                remaining -= 1
                answered(index, answer)
            }
        }
        return (0..<alerts.count).filter { sentAt[$0] != nil || $0 >= next }
    }
}

// MARK: Streaming use

/// One message from the hub on ingest.
public enum IngestReplyEvent: Sendable, Equatable {
    case answer(alertID: String, PublishAnswer)
    /// The hub's heartbeat reply: it is reachable, and its journal is at `lastSeq`.
    case heartbeat(lastSeq: UInt64)
}

extension IngestClient {
    /// The wire form of a publish request for `alert`.
    public static func encode(_ alert: Ibm_V1_Alert) throws -> [UInt8] {
        var request = Ibm_V1_IngestRequest()
        request.publish = alert
        return try request.serializedBytes()
    }

    /// Sends an encoded publish request without waiting; false if it cannot be queued now.
    public func trySend(encoded: [UInt8]) throws -> Bool {
        try socket.send(encoded, dontWait: true)
    }

    /// Asks the hub for a heartbeat reply without waiting; false if it cannot be queued now.
    public func trySendHeartbeat() throws -> Bool {
        var request = Ibm_V1_IngestRequest()
        request.heartbeat = Ibm_V1_Heartbeat()
        return try socket.send(try request.serializedBytes() as [UInt8], dontWait: true)
    }

    /// Waits up to `timeoutMilliseconds` for replies and returns every one that has arrived.
    public func receive(timeoutMilliseconds: Int) throws -> [IngestReplyEvent] {
        var poller = Poller()
        try poller.add(socket)
        guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds).isReadable(0) else { return [] }
        var events: [IngestReplyEvent] = []
        while let frames = try socket.receiveMultipart(dontWait: true) {
            if let event = Self.decodeReply(frames) { events.append(event) }
        }
        return events
    }

    /// A reply frame set as an event; nil for anything that is not an `IngestReply`.
    static func decodeReply(_ frames: [[UInt8]]) -> IngestReplyEvent? {
        guard let body = frames.last, let reply = try? Ibm_V1_IngestReply(serializedBytes: body) else { return nil }
        switch reply.body {
        case let .ack(ack): return .answer(alertID: ack.alertID, .ack(ack))
        case let .nack(nack): return .answer(alertID: nack.alertID, .nack(nack))
        case let .heartbeat(beat): return .heartbeat(lastSeq: beat.lastSeq)
        case nil: return nil
        }
    }
}
