import IBMProtocol
import Logging
import SwiftProtobuf
import ZeroMQ

/// The feed's XPUB socket, on the core thread.
///
/// It runs in `ZMQ_XPUB_MANUAL` mode: a subscription request is only a request,
/// and the hub grants the prefixes the subscriber's identity may receive, whatever
/// it asked for (DESIGN.md §7). Topics are `<channel>/ev/<category>/<sector>` for
/// events and `<channel>/hb` for heartbeats; every member's channel is `all`.
final class FeedPublisher {
    static let channel = "all"

    let socket: Socket
    private let metrics: HubMetrics
    private let logger: Logger

    init(socket: Socket, metrics: HubMetrics, logger: Logger) {
        self.socket = socket
        self.metrics = metrics
        self.logger = logger
    }

    /// The prefixes a subscriber with this ZAP user id is granted.
    static func grants(forUserID userID: String?) -> [String] {
        [channel + "/"]
    }

    /// Reads every pending subscription request and answers it with grants.
    func handleSubscriptions() throws(ZMQError) {
        while let request = try socket.receiveFrames(dontWait: true) {
            guard let frame = request.frames.first, let action = frame.first else { continue }
            // 1 = subscribe, 0 = unsubscribe; a pipe's grants go when it closes.
            guard action == 1 else { continue }
            metrics.feedSubscriptions.increment()
            for prefix in Self.grants(forUserID: request.userId) {
                try socket.subscribe(prefix)
            }
            logger.debug("feed subscription granted", metadata: [
                "peer": "\(request.peerAddress ?? "?")", "identity": "\(request.userId ?? "")",
            ])
        }
    }

    static func topic(for event: Ibm_V1_PictureEvent) -> String {
        let category = event.incident.category.jsonName ?? "other"
        let sector = event.incident.location.sector.isEmpty ? "-" : event.incident.location.sector
        return "\(channel)/ev/\(category)/\(sector)"
    }

    /// Publishes one event; a subscriber past its HWM misses it and recovers through sync.
    func publish(_ event: Ibm_V1_PictureEvent, body: [UInt8]) throws(ZMQError) {
        _ = try socket.sendMultipart([Array(Self.topic(for: event).utf8), body], dontWait: true)
        metrics.feedEvents.increment()
    }

    func heartbeat(lastSeq: UInt64, now: Int64) throws(ZMQError) {
        var beat = Ibm_V1_Heartbeat()
        beat.lastSeq = lastSeq
        beat.sentAtUnixMs = now
        let body: [UInt8] = (try? beat.serializedBytes()) ?? []
        _ = try socket.sendMultipart([Array("\(Self.channel)/hb".utf8), body], dontWait: true)
    }
}
