import Foundation
import HTTPTypes
import Hummingbird
import IBMProtocol
import Logging
import NIOCore
import SwiftProtobuf

/// The local HTTP API of an agency daemon (see README, "Agency systems"):
///
/// | route | what |
/// |---|---|
/// | `POST /v1/alerts` | one alert or an array (JSON), or CAP 1.2 (`application/cap+xml`): 202 with the stored ids, or 400 with every problem and nothing stored |
/// | `GET /v1/alerts/{id}` | delivery state: queued, acked (seq, outcome, incident_id) or nacked (code, reason); `?format=cap` gives CAP XML |
/// | `GET /v1/picture` | the incidents released to this agency (`?category=a,b`, `?focus=true`) |
/// | `GET /v1/feed` | Server-Sent Events of picture events, `id: <seq>`, resumable with `Last-Event-ID` |
/// | `GET /healthz`, `GET /metrics` | status JSON, Prometheus text |
enum AgencyHTTP {
    static func makeApplication(node: AgencyNode) -> some ApplicationProtocol {
        let router = Router()
        let api = AgencyAPI(node: node)
        router.post("/v1/alerts") { request, _ in try await api.post(request) }
        router.get("/v1/alerts/:id") { request, context in
            await api.state(id: context.parameters.get("id") ?? "", format: request.uri.queryParameters.get("format").map { String($0) })
        }
        router.get("/v1/picture") { request, _ in await api.picture(request) }
        router.get("/v1/feed") { request, _ in await api.feed(request) }
        router.get("/healthz") { _, _ in await api.health() }
        router.get("/metrics") { _, _ in await api.metrics() }
        var logger = node.logger
        logger[metadataKey: "component"] = "http"
        return Application(
            router: router,
            configuration: .init(address: .hostname(node.configuration.httpHost, port: node.configuration.httpPort),
                                 serverName: "ibm-\(node.configuration.agency)"),
            logger: logger)
    }
}

/// The handlers, apart from routing.
struct AgencyAPI: Sendable {
    let node: AgencyNode

    // MARK: Intake

    func post(_ request: Request) async throws -> Response {
        var request = request
        let limit = node.configuration.maxBodyBytes
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            return Self.json(.contentTooLarge, .object([("error", .string("the body is larger than \(limit) bytes (http.max_body_bytes)"))]))
        }
        let bytes = [UInt8](buffer: body)
        let contentType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? "application/json"
        let alerts: [Ibm_V1_Alert]
        do {
            switch contentType {
            case "application/cap+xml", "application/xml", "text/xml":
                alerts = try node.decodeCAP(bytes)
                try node.intake.checkProfile(alerts)
            default:
                // JSON whatever else the type says (curl --data sends application/x-www-form-urlencoded).
                alerts = try node.intake.decodeJSON(bytes)
            }
        } catch {
            node.metrics.intakeRejected.increment()
            return Self.json(.badRequest, .object([
                ("error", .string("\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s"); nothing was stored")),
                ("issues", .array(error.issues.map { .object([("field", .string($0.field)), ("rule", .string($0.message))]) })),
            ]))
        }
        do {
            let ids = try await node.intakeQueue.submit(alerts, source: "http")
            node.metrics.intakeAlerts.increment(by: Int64(ids.count))
            return Self.json(.accepted, .object([("count", JSONValue.number(ids.count)), ("ids", .array(ids.map(JSONValue.string)))]))
        } catch {
            return Self.json(.serviceUnavailable, .object([("error", .string("\(error)"))]))
        }
    }

    // MARK: Delivery state

    func state(id: String, format: String?) async -> Response {
        let entry: OutboxEntry?
        do {
            entry = try await node.outbox.entry(id: id)
        } catch {
            return Self.json(.internalServerError, .object([("error", .string("cannot read the outbox: \(error)"))]))
        }
        guard let entry else {
            return Self.json(.notFound, .object([("error", .string("no alert \"\(id)\" in the \(node.configuration.agency) outbox"))]))
        }
        if format == "cap" {
            return Response(status: .ok, headers: [.contentType: "application/cap+xml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: node.exportCAP(entry.alert))))
        }
        var members: [(key: String, value: JSONValue)] = [("id", .string(entry.alert.id))]
        switch entry.state {
        case .queued:
            members.append(("state", .string("queued")))
        case let .acked(seq, outcome, incident, at):
            members += [("state", .string("acked")), ("seq", JSONValue.number(seq)), ("outcome", .string(outcome)),
                        ("incident_id", .string(incident)), ("acked_at", .string(Self.time(at)))]
        case let .nacked(code, reason, at):
            members += [("state", .string("nacked")), ("code", .string(code)), ("reason", .string(reason)),
                        ("nacked_at", .string(Self.time(at)))]
        }
        members += [("queued_at", .string(Self.time(entry.queuedAtMilliseconds))), ("source", .string(entry.source)),
                    ("attempts", JSONValue.number(entry.attempts)), ("alert", AlertJSON.jsonValue(entry.alert))]
        return Self.json(.ok, .object(members))
    }

    // MARK: Picture and feed

    /// `?category=a,b` and `?focus=true` (the profile's `receives`) narrow what is shown.
    private func categories(_ request: Request) -> Set<String>? {
        var result: Set<String>?
        if let list = request.uri.queryParameters.get("category") {
            result = Set(list.split(separator: ",").map { String($0) })
        }
        if request.uri.queryParameters.get("focus") == "true" {
            let focus = Set(node.configuration.profile.receives.compactMap(\.jsonName))
            result = result.map { $0.intersection(focus) } ?? focus
        }
        return result
    }

    func picture(_ request: Request) async -> Response {
        do {
            let incidents = try await node.inbox.incidents(categories: categories(request))
            let (seq, _) = try await node.inbox.bounds()
            return Self.json(.ok, .object([
                ("agency", .string(node.configuration.agency)), ("seq", JSONValue.number(seq)),
                ("count", JSONValue.number(incidents.count)),
                ("incidents", .array(incidents.map(PictureJSON.incident))),
            ]))
        } catch {
            return Self.json(.internalServerError, .object([("error", .string("cannot read the inbox: \(error)"))]))
        }
    }

    /// Server-Sent Events: each picture event once, in seq order, as `id: <seq>`,
    /// `event: opened|updated|closed`, `data: <JSON>`. Starts after `Last-Event-ID` (or
    /// `?since=SEQ`), else with the next new event. Events are read from the inbox, so a
    /// reconnecting client misses nothing the inbox still holds (`inbox.max_events`); if it
    /// asks for older ones, an `event: reset` says so and it should re-read `/v1/picture`.
    func feed(_ request: Request) async -> Response {
        let resumeFrom = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { UInt64($0) }
            ?? request.uri.queryParameters.get("since").flatMap { UInt64($0) }
        let filter = categories(request)
        let inbox = node.inbox
        let notifier = node.notifier
        let bounds = try? await inbox.bounds()
        let start = resumeFrom ?? bounds?.lastSeq ?? 0
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var last = start
                var head = "retry: 2000\n\n"
                if let resumeFrom, let floor = bounds?.floor, resumeFrom < floor {
                    head += "event: reset\ndata: {\"floor_seq\":\(floor),\"reason\":\"events through floor_seq are not kept here; re-read /v1/picture\"}\n\n"
                }
                try await writer.write(ByteBuffer(string: head))
                for await available in notifier.subscribe() {
                    if last >= available {
                        try await writer.write(ByteBuffer(string: ":\n\n"))  // keep-alive comment
                        continue
                    }
                    while last < available {
                        let events = try await inbox.events(after: last, limit: 500)
                        guard let final = events.last else { break }
                        var chunk = ""
                        for event in events where filter?.contains(event.incident.category.jsonName ?? "") ?? true {
                            chunk += "id: \(event.seq)\nevent: \(event.kind.jsonName ?? "event")\ndata: "
                            chunk += JSONWriter.string(PictureJSON.event(event)) + "\n\n"
                        }
                        last = final.seq
                        if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                    }
                }
                try await writer.finish(nil)
            })
    }

    // MARK: Operations

    func health() async -> Response {
        let state = node.status.state.withLock { $0 }
        let now = monotonicMilliseconds()
        let timeout = node.configuration.outbox.hubTimeoutMilliseconds
        let hubConnected = state.lastIngestReply.map { now - $0 < timeout } ?? false
        let feedConnected = state.lastFeedTraffic.map { now - $0 < timeout } ?? false
        let depth = try? await node.outbox.depth()
        let running = state.senderRunning && state.followerRunning && depth != nil
        var members: [(key: String, value: JSONValue)] = [
            ("status", .string(!running ? "unavailable" : hubConnected && feedConnected ? "ok" : "degraded")),
            ("agency", .string(node.configuration.agency)),
            ("hub_connected", .bool(hubConnected)),
            ("feed_connected", .bool(feedConnected)),
            ("hub_last_seq", JSONValue.number(state.hubLastSeq)),
            ("inbox_seq", JSONValue.number(state.inboxSeq)),
        ]
        if let depth {
            members.append(("outbox_depth", JSONValue.number(depth.count)))
            let age = depth.oldestQueuedAtMilliseconds.map { max(0, currentMilliseconds() - $0) } ?? 0
            members.append(("oldest_queued_age_seconds", JSONValue.number(Double(age) / 1000)))
        }
        if let failure = state.lastFollowerError { members.append(("last_follower_error", .string(failure))) }
        return Self.json(running ? .ok : .serviceUnavailable, .object(members))
    }

    func metrics() async -> Response {
        if let depth = try? await node.outbox.depth() {
            node.metrics.outboxDepth.set(Double(depth.count))
            let age = depth.oldestQueuedAtMilliseconds.map { max(0, currentMilliseconds() - $0) } ?? 0
            node.metrics.oldestQueuedSeconds.set(Double(age) / 1000)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: node.metrics.exposition())))
    }

    // MARK: Helpers

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var bytes = JSONWriter.bytes(value)
        bytes.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func time(_ milliseconds: Int64) -> String {
        var stamp = Google_Protobuf_Timestamp()
        stamp.seconds = milliseconds / 1000
        stamp.nanos = Int32(milliseconds % 1000) * 1_000_000
        return RFC3339.format(stamp)
    }
}
