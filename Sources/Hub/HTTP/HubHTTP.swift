import Foundation
import Hummingbird
import Logging
import NIOCore

/// `/healthz` and `/metrics` on the hub's HTTP port.
enum HubHTTP {
    static func makeApplication(
        host: String, port: Int, metrics: HubMetrics, status: HubStatus, picture: PublishedPicture, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let state = status.state.withLock { $0 }
            let healthy = state.socketsBound && state.journalWritable
            var body: [String: Any] = [
                "status": healthy ? "ok" : "unavailable",
                "sockets_bound": state.socketsBound,
                "journal_writable": state.journalWritable,
                "last_seq": picture.highSeq,
                "open_incidents": picture.count,
            ]
            if let failure = state.lastFailure { body["last_failure"] = failure }
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
            return Response(
                status: healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        var logger = logger
        logger[metadataKey: "component"] = "http"
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "ibm-hub"),
            logger: logger)
    }
}
