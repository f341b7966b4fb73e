import IBMProtocol
import SwiftProtobuf
import ZeroMQ

/// Requests snapshots and replays from the hub's sync ROUTER, granting credit
/// as it consumes chunks so the hub never runs ahead of it.
public final class SyncClient {
    private let socket: Socket
    private var nextRequestID: UInt64 = 1
    public var credit: UInt32 = 16

    public init(context: ZMQContext, endpoint: String, security: ClientSecurity) throws {
        socket = try context.makeSocket(.dealer)
        try socket.set(.linger, 0)
        try security.apply(to: socket)
        try socket.connect(endpoint)
    }

    deinit { socket.close() }

    /// The open incidents and the seq they are current through.
    public func snapshot(filter: Ibm_V1_Filter = Ibm_V1_Filter(), timeoutMilliseconds: Int64 = 10_000) throws
        -> (incidents: [Ibm_V1_Incident], highSeq: UInt64)
    {
        var request = Ibm_V1_SnapshotRequest()
        request.filter = filter
        request.credit = credit
        var incidents: [Ibm_V1_Incident] = []
        let end = try run(body: .snapshot(request), timeoutMilliseconds: timeoutMilliseconds) { reply in
            if case let .snapshot(chunk) = reply.body { incidents += chunk.incidents }
        }
        return (incidents, end.highSeq)
    }

    /// Streams journal records of a replay to `visit`, in order; returns the end marker.
    @discardableResult
    public func replay(_ request: Ibm_V1_ReplayRequest, timeoutMilliseconds: Int64 = 10_000,
                       _ visit: (Ibm_V1_ReplayRecord) throws -> Void) throws -> Ibm_V1_End {
        var request = request
        if request.credit == 0 { request.credit = credit }
        return try run(body: .replay(request), timeoutMilliseconds: timeoutMilliseconds) { reply in
            if case let .replay(chunk) = reply.body {
                for record in chunk.records { try visit(record) }
            }
        }
    }

    /// Sends one request and consumes its replies until the end marker.
    /// The timeout applies to the wait for each reply, not the whole stream.
    private func run(body: Ibm_V1_SyncRequest.OneOf_Body, timeoutMilliseconds: Int64,
                     _ handle: (Ibm_V1_SyncReply) throws -> Void) throws -> Ibm_V1_End {
        let requestID = nextRequestID
        nextRequestID += 1
        var request = Ibm_V1_SyncRequest()
        request.requestID = requestID
        request.body = body
        try socket.send(try request.serializedBytes() as [UInt8])
        var poller = Poller()
        try poller.add(socket)
        var consumed: UInt32 = 0
        while true {
            guard try poller.poll(timeoutMilliseconds: Int(timeoutMilliseconds)).isReadable(0) else {
                throw HubClientError.timeout("no sync reply within \(timeoutMilliseconds) ms")
            }
            while let frames = try socket.receiveMultipart(dontWait: true) {
                guard let bytes = frames.last else { continue }
                let reply: Ibm_V1_SyncReply
                do {
                    reply = try Ibm_V1_SyncReply(serializedBytes: bytes)
                } catch {
                    throw HubClientError.protocolViolation("sync reply is not a SyncReply: \(error)")
                }
                guard reply.requestID == requestID else { continue }
                switch reply.body {
                case let .end(end):
                    return end
                case let .error(failure):
                    throw HubClientError.refused(code: "\(failure.code)", reason: failure.reason)
                default:
                    do {
                        try handle(reply)
                    } catch {
                        // The caller stopped early: free the hub's stream now, not at its idle timeout.
                        var cancel = Ibm_V1_SyncRequest()
                        cancel.requestID = requestID
                        cancel.cancel = Ibm_V1_Cancel()
                        _ = try? socket.send(try cancel.serializedBytes() as [UInt8], dontWait: true)
                        throw error
                    }
                    consumed += 1
                    // Refill credit in halves so the hub keeps streaming while we work.
                    if consumed >= max(credit / 2, 1) {
                        var grant = Ibm_V1_SyncRequest()
                        grant.requestID = requestID
                        var more = Ibm_V1_Credit()
                        more.chunks = consumed
                        grant.credit = more
                        try socket.send(try grant.serializedBytes() as [UInt8])
                        consumed = 0
                    }
                }
            }
        }
    }
}
