import ArgumentParser
import CAP
import HubClient
import IBMProtocol
import Journal
import SwiftProtobuf
import ZeroMQ

/// `ibmctl replay`: the journal, again, from a file or through the hub's sync socket.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the journal: alerts and picture events, by sequence or time, filtered and paced.",
        discussion: """
            Source: --journal PATH reads the SQLite journal directly (the hub may keep running); \
            otherwise the hub is asked through its sync socket (--hub, default 127.0.0.1).

            What: --records alerts (the default) prints the accepted alerts in the JSON form that \
            `ibmctl publish` reads, so a replay can be published again; --records events prints the \
            picture events (as `watch` does); --records all prints both, in sequence order.

            Range: --from-seq/--until-seq, --since/--until (RFC 3339, `now`, or relative: -2h, -90m, \
            -1d12h). --until is exclusive. Memory stays bounded whatever the range.

            --speed N replays with the original pacing (the hub's recorded_at) sped up N times, for \
            every output; `max` (the default) does not wait. --to tcp://HOST:PORT binds a PUB socket \
            and republishes the picture events there, with the hub's feed topics \
            (all/ev/CATEGORY/SECTOR); it first waits for --subscribers subscribers. With --to, stdout \
            stays quiet unless --format is given.

            --format cap prints each alert as an OASIS CAP 1.2 document on one line (Protocols/CAP.md), \
            which `ibmctl publish --cap` reads back.
            """)

    enum RecordSelection: String, ExpressibleByArgument, CaseIterable {
        case alerts, events, all
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, table, cap
    }

    @Option(help: ArgumentHelp("Read this journal file directly instead of asking a hub.", valueName: "path"))
    var journal: String?

    @OptionGroup(title: "Hub (when replaying through sync)")
    var hubOptions: HubOptions

    @OptionGroup(title: "Identity (when replaying through sync)")
    var identityOptions: IdentityOptions

    @Option(help: ArgumentHelp("First sequence number.", valueName: "seq"))
    var fromSeq: UInt64?

    @Option(help: ArgumentHelp("Last sequence number (inclusive).", valueName: "seq"))
    var untilSeq: UInt64?

    // Unconditional, so that relative times like -2h are not taken for flags.
    @Option(parsing: .unconditional, help: ArgumentHelp("Only records journaled at or after this time.", valueName: "time"))
    var since: TimeArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only records journaled before this time.", valueName: "time"))
    var until: TimeArgument?

    @OptionGroup(title: "Filters")
    var filters: PictureFilterOptions

    @Option(name: .customLong("origin"), parsing: .upToNextOption, help: ArgumentHelp(
        "Only records from these agencies (border, migration, customs).", valueName: "origin"))
    var origins: [String] = []

    @Option(help: ArgumentHelp("Only records of this incident.", valueName: "id"))
    var incident: String?

    @Option(help: ArgumentHelp("Which records: alerts, events or all (default: alerts; events with --to).", valueName: "kind"))
    var records: RecordSelection?

    @Option(help: ArgumentHelp("Output on stdout: jsonl, table or cap (default: jsonl; none with --to).", valueName: "format"))
    var format: Format?

    @Option(help: ArgumentHelp("max, or a factor applied to the original pacing (1, 10, 0.5, …).", valueName: "speed"))
    var speed: ReplaySpeed = .max

    @Option(help: ArgumentHelp("Republish the picture events on a PUB socket bound here (tcp://*:7790).", valueName: "endpoint"))
    var to: String?

    @Option(help: ArgumentHelp("With --to: subscribers to wait for before replaying.", valueName: "n"))
    var subscribers: Int = 1

    @Option(help: ArgumentHelp("With --to: how long to wait for them, in seconds.", valueName: "seconds"))
    var subscriberWait: Double = 10

    var selection: RecordSelection { records ?? (to != nil ? .events : .alerts) }

    func validate() throws {
        let hubGiven = hubOptions.hub != nil || hubOptions.syncPort != nil || hubOptions.ingestPort != nil
        if journal != nil, hubGiven {
            throw ValidationError("give either --journal or --hub, not both")
        }
        if let fromSeq, let untilSeq, untilSeq < fromSeq {
            throw ValidationError("--until-seq \(untilSeq) is before --from-seq \(fromSeq)")
        }
        if let since, let until, until.unixMilliseconds <= since.unixMilliseconds {
            throw ValidationError("--until must be later than --since")
        }
        if format == .cap, selection != .alerts {
            throw ValidationError("--format cap prints alerts as CAP 1.2 XML; it takes --records alerts")
        }
        if to != nil, records == .alerts {
            throw ValidationError("--to republishes picture events; use --records events or all")
        }
        guard (0...10_000).contains(subscribers) else { throw ValidationError("--subscribers must be from 0 to 10000") }
        guard subscriberWait >= 0, subscriberWait.isFinite else { throw ValidationError("--subscriber-wait must be positive") }
    }

    func run() throws {
        Interrupt.install()
        let context = try ZMQContext()
        var publisher: FeedRepublisher?
        if let to {
            publisher = try FeedRepublisher(
                context: context, endpoint: to, subscribers: subscribers, waitMilliseconds: Int64(subscriberWait * 1000))
        }
        let printed: Format? = format ?? (to == nil ? .jsonl : nil)
        let sink = ReplaySink(format: printed, selection: selection, speed: speed, publisher: publisher)
        defer { sink.finish() }
        if let journal {
            try replayJournal(journal, into: sink)
        } else {
            try replayHub(context: context, into: sink)
        }
        sink.finish()
        publisher?.drain()
        if Interrupt.requested { throw ExitCode(130) }
    }

    // MARK: Sources

    private func replayJournal(_ path: String, into sink: ReplaySink) throws {
        // Mapped: a replay reads the whole file once, and mmap saves copying each page.
        let reader = try JournalReader(path: path, mappedBytes: 1 << 40)
        let high = try reader.highSeq()
        let low = try reader.lowSeq()
        if let fromSeq, fromSeq < low, low > 1 {
            throw CtlError.usage("seq \(fromSeq) was deleted by retention; the oldest kept record is \(low)")
        }
        var filter = RecordFilter()
        switch selection {
        case .alerts: filter.kinds = [.alert]
        case .events: filter.kinds = [.event]
        case .all: filter.kinds = nil
        }
        filter.categories = filters.categories.map(\.name)
        filter.sectors = filters.sectors
        filter.origins = origins
        filter.incidentID = incident
        var from = max(fromSeq ?? low, low, 1)
        var through = min(untilSeq ?? high, high)
        if let since {
            filter.recordedFrom = since.unixMilliseconds
            from = max(from, try reader.firstSeq(recordedAtOrAfter: since.unixMilliseconds) ?? high + 1)
        }
        if let until {
            filter.recordedUntil = until.unixMilliseconds
            // recorded_at never decreases, so nothing after this seq can match.
            if let first = try reader.firstSeq(recordedAtOrAfter: until.unixMilliseconds), first > 0 {
                through = min(through, first - 1)
            }
        }
        guard from <= through else { return }
        sink.progress.total = through - from + 1
        var failure: CtlError?
        if sink.writesLinesOnly {
            // The common case, `--format jsonl` at full speed: JSON straight from the journal's
            // bytes, no JournalRecord, and no Ibm_V1_Alert unless its bytes need the full decoder.
            try reader.scanBodies(from: from, through: through, filter: filter, chunkSize: 4096) { seq, kind, body in
                do {
                    try sink.writeJSONLine(kind: kind, body: body)
                } catch {
                    failure = .checkFailed("record \(seq) holds no valid \(kind == .alert ? "alert" : "picture event") (\(error)); run `ibmctl verify`")
                    return false
                }
                sink.progress.update(done: seq - from + 1, records: sink.count)
                return !Interrupt.requested
            }
            if let failure { throw failure }
            return
        }
        try reader.scan(from: from, through: through, filter: filter, chunkSize: 1000) { record in
            do {
                switch record.kind {
                case .alert:
                    sink.accept(.alert(seq: record.seq, recordedAt: record.recordedAt,
                                       try Ibm_V1_Alert(serializedBytes: record.body)))
                case .event where sink.format == nil:
                    // Only republished: the journal's columns give the topic, no need to decode.
                    sink.accept(.rawEvent(seq: record.seq, recordedAt: record.recordedAt, body: record.body,
                                          topic: FeedRepublisher.topic(category: record.category, sector: record.sector)))
                case .event:
                    sink.accept(.event(seq: record.seq, recordedAt: record.recordedAt,
                                       try Ibm_V1_PictureEvent(serializedBytes: record.body), body: record.body))
                }
            } catch {
                failure = .checkFailed("record \(record.seq) holds no valid \(record.kind == .alert ? "alert" : "picture event") (\(error)); run `ibmctl verify`")
                return false
            }
            sink.progress.update(done: record.seq - from + 1, records: sink.count)
            return !Interrupt.requested
        }
        if let failure { throw failure }
    }

    private func replayHub(context: ZMQContext, into sink: ReplaySink) throws {
        let address = try hubOptions.address()
        let security = try identityOptions.security(defaultIdentity: "coordinator")
        let client = try SyncClient(context: context, endpoint: address.sync, security: security)
        var request = Ibm_V1_ReplayRequest()
        request.includeAlerts = selection != .events
        request.filter.categories = filters.categories.map(\.value)
        request.filter.sectors = filters.sectors
        request.filter.origins = origins
        request.filter.incidentID = incident ?? ""
        if let since { request.since = Google_Protobuf_Timestamp(unixMilliseconds: since.unixMilliseconds) }
        if let until { request.until = Google_Protobuf_Timestamp(unixMilliseconds: until.unixMilliseconds) }

        func visit(_ record: Ibm_V1_ReplayRecord) -> Bool {
            let recordedAt = record.recordedAt.unixMilliseconds
            switch record.body {
            case let .alert(alert)?:
                if selection != .events { sink.accept(.alert(seq: record.seq, recordedAt: recordedAt, alert)) }
            case let .event(event)?:
                if selection != .alerts { sink.accept(.event(seq: record.seq, recordedAt: recordedAt, event, body: nil)) }
            case nil:
                break
            }
            sink.progress.update(done: 0, records: sink.count)
            return !Interrupt.requested
        }
        struct Stop: Error {}

        do {
            if case .max = speed {
                request.fromSeq = fromSeq ?? 0
                request.untilSeq = untilSeq ?? 0
                try client.replay(request) { record in
                    if !visit(record) { throw Stop() }
                }
                return
            }
            // Paced: pacing can hold a chunk far longer than the hub keeps a stream that gets no
            // credit, so ask for one window of seqs at a time, each sent in full at once.
            let window: UInt64 = 4096
            client.credit = UInt32(window)
            let last = untilSeq ?? UInt64(Int64.max)
            var next: UInt64
            if let fromSeq {
                next = fromSeq
            } else {
                // The first seq kept and matching: the hub knows it, so ask for one record.
                var probe = request
                probe.credit = 1
                var first: UInt64?
                do {
                    try client.replay(probe) { record in
                        first = record.seq
                        throw Stop()
                    }
                } catch is Stop {}
                guard let first else { return }
                next = first
            }
            while next <= last {
                request.fromSeq = next
                request.untilSeq = min(next + window - 1, last)
                let end = try client.replay(request) { record in
                    if !visit(record) { throw Stop() }
                }
                if end.highSeq < request.untilSeq { break }
                next = request.untilSeq + 1
            }
        } catch is Stop {
            return
        } catch let error as HubClientError {
            throw CtlError.connection("replay through \(address.sync): \(error)")
        }
    }
}

/// One record on its way out.
enum ReplayedRecord {
    case alert(seq: UInt64, recordedAt: Int64, Ibm_V1_Alert)
    /// `body` holds the journal's bytes when known, so republishing needs no re-encoding.
    case event(seq: UInt64, recordedAt: Int64, Ibm_V1_PictureEvent, body: [UInt8]?)
    /// An event that is only republished, never printed, so never decoded.
    case rawEvent(seq: UInt64, recordedAt: Int64, body: [UInt8], topic: String)

    var recordedAt: Int64 {
        switch self {
        case let .alert(_, recordedAt, _), let .event(_, recordedAt, _, _), let .rawEvent(_, recordedAt, _, _): recordedAt
        }
    }
}

/// Paces records and sends them to stdout and the PUB socket.
final class ReplaySink {
    let format: Replay.Format?
    let selection: Replay.RecordSelection
    let speed: ReplaySpeed
    let publisher: FeedRepublisher?
    // One write(2) per MiB: a replay prints hundreds of MB.
    let output = BufferedOutput.standardOutput(capacity: 1 << 20)
    let progress = ProgressBar(label: "replay", total: nil)
    private let codec = AlertJSON()
    private(set) var count: UInt64 = 0
    private var origin: (recordedAt: Int64, micros: Int64)?
    private var headerWritten = false
    private let width: Int?

    init(format: Replay.Format?, selection: Replay.RecordSelection, speed: ReplaySpeed, publisher: FeedRepublisher?) {
        self.format = format
        self.selection = selection
        self.speed = speed
        self.publisher = publisher
        width = output.isTerminal ? terminalSize(1)?.columns : nil
    }

    func accept(_ record: ReplayedRecord) {
        pace(record.recordedAt)
        if Interrupt.requested { return }
        count += 1
        switch format {
        case .jsonl?:
            switch record {
            case let .alert(_, _, alert): output.writeLine(codec.encode(alert))
            case let .event(_, _, event, _): output.writeLine(JSONWriter.bytes(PictureJSON.event(event)))
            case .rawEvent: break
            }
        case .table?:
            if !headerWritten {
                headerWritten = true
                output.write(Self.row(["SEQ", "TIME", "RECORD", "ID", "WHO", "CATEGORY", "SECTOR", "SEVERITY", "HEADLINE"]))
            }
            output.write(Self.row(tableCells(record)))
        case .cap?:
            if case let .alert(_, _, alert) = record { output.writeLine(capLine(alert)) }
        case nil:
            break
        }
        if let publisher {
            switch record {
            case let .event(_, _, event, body):
                publisher.publish(topic: FeedRepublisher.topic(for: event),
                                  body: body ?? ((try? event.serializedBytes()) ?? []))
            case let .rawEvent(_, _, body, topic):
                publisher.publish(topic: topic, body: body)
            case .alert:
                break
            }
        }
        if speed != .max { output.flush() }
    }

    /// Whether every record only becomes a JSON line: `--format jsonl`, full speed, no `--to`.
    var writesLinesOnly: Bool { format == .jsonl && speed == .max && publisher == nil }

    /// A record's JSON line written from its journal bytes, as ``accept(_:)`` writes it from the
    /// decoded record; only when ``writesLinesOnly``. Throws when the bytes are not a valid record.
    func writeJSONLine(kind: RecordKind, body: UnsafeRawBufferPointer) throws {
        if Interrupt.requested { return }
        try output.writeLine { out in
            switch kind {
            case .alert:
                try codec.encode(wire: body, into: &out)
            case .event:
                JSONWriter.write(PictureJSON.event(try Ibm_V1_PictureEvent(serializedBytes: Array(body))), into: &out)
            }
        }
        count += 1
    }

    /// `observed_at` of alerts already printed, by origin and id: CAP writes each reference with
    /// the referenced alert's sent time. Bounded: forgotten in one go when full.
    private var sentTimes: [String: Google_Protobuf_Timestamp] = [:]
    static let sentTimesLimit = 100_000

    private func capLine(_ alert: Ibm_V1_Alert) -> [UInt8] {
        let key = { (id: String) in alert.origin + "\u{0}" + id }
        var referenced: [String: Google_Protobuf_Timestamp] = [:]
        for id in alert.references {
            if let sent = sentTimes[key(id)] { referenced[id] = sent }
        }
        if sentTimes.count >= Self.sentTimesLimit { sentTimes.removeAll(keepingCapacity: true) }
        sentTimes[key(alert.id)] = alert.observedAt
        return Array(CAPExport.xml(for: alert, sender: alert.origin, referenceSent: referenced, singleLine: true).utf8)
    }

    func finish() {
        progress.finish()
        output.flush()
    }

    /// Sleeps until the record's place in the original timeline, scaled by the speed.
    private func pace(_ recordedAt: Int64) {
        guard case let .factor(factor) = speed else { return }
        let now = monotonicMicroseconds()
        guard let origin else {
            self.origin = (recordedAt, now)
            return
        }
        let offset = Double(recordedAt - origin.recordedAt) * 1000 / factor
        let target = origin.micros + Int64(offset)
        if target > now {
            output.flush()
            sleepMicroseconds(target - now)
        }
    }

    private func tableCells(_ record: ReplayedRecord) -> [String] {
        switch record {
        case let .alert(seq, recordedAt, alert):
            [String(seq), Display.time(unixMilliseconds: recordedAt), alert.msgType.jsonName ?? "alert", alert.id,
             alert.origin, alert.category.jsonName ?? "", alert.location.sector, alert.severity.jsonName ?? "",
             alert.headline]
        case let .event(seq, recordedAt, event, _):
            [String(seq), Display.time(unixMilliseconds: recordedAt), event.kind.jsonName ?? "event", event.incident.id,
             Display.agencies(event.incident), event.incident.category.jsonName ?? "", event.incident.location.sector,
             event.incident.highestSeverity.jsonName ?? "", event.incident.headline]
        case let .rawEvent(seq, recordedAt, _, topic):
            [String(seq), Display.time(unixMilliseconds: recordedAt), "event", "", "", topic, "", "", ""]
        }
    }

    static let widths = [9, 12, 8, 18, 10, 21, 7, 9]

    private static func row(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            line += index < widths.count ? Display.fit(cell, widths[index] - 1) + " " : cell
        }
        return line + "\n"
    }
}

/// The PUB side of `replay --to`: an XPUB that counts subscribers and never drops.
final class FeedRepublisher {
    private let socket: Socket
    private let endpoint: String

    init(context: ZMQContext, endpoint: String, subscribers: Int, waitMilliseconds: Int64) throws(CtlError) {
        self.endpoint = endpoint
        do {
            socket = try context.makeSocket(.xpub)
            try socket.set(.sendHighWaterMark, 10_000)
            // Wait for a slow subscriber instead of dropping its events.
            try socket.set(.xpubNoDrop, true)
            // Report every subscriber's subscription, not only the first of each prefix.
            try socket.set(.xpubVerbose, true)
            try socket.bind(endpoint)
        } catch {
            throw .connection("cannot bind \(endpoint): \(error)")
        }
        guard subscribers > 0 else { return }
        let deadline = monotonicMilliseconds() + waitMilliseconds
        var seen = 0
        var poller = Poller()
        do {
            try poller.add(socket)
            while seen < subscribers {
                let left = deadline - monotonicMilliseconds()
                guard left > 0, !Interrupt.requested else {
                    throw CtlError.connection(
                        "\(seen) of \(subscribers) subscribers connected to \(endpoint) within \(waitMilliseconds / 1000) s")
                }
                guard try poller.poll(timeoutMilliseconds: Int(min(left, 100))).isReadable(0) else { continue }
                while let frames = try socket.receiveMultipart(dontWait: true) {
                    if frames.first?.first == 1 { seen += 1 }
                }
            }
        } catch let error as CtlError {
            throw error
        } catch {
            throw .connection("waiting for subscribers on \(endpoint): \(error)")
        }
    }

    /// The hub's feed topic of an event: `all/ev/<category>/<sector>`.
    static func topic(category: String, sector: String) -> String {
        "all/ev/\(category.isEmpty ? "other" : category)/\(sector.isEmpty ? "-" : sector)"
    }

    static func topic(for event: Ibm_V1_PictureEvent) -> String {
        topic(category: event.incident.category.jsonName ?? "", sector: event.incident.location.sector)
    }

    /// Sends one event; waits while a subscriber is at its HWM.
    func publish(topic: String, body: [UInt8]) {
        let topicBytes = Array(topic.utf8)
        while !Interrupt.requested {
            do {
                if try socket.sendMultipart([topicBytes, body], dontWait: true) { return }
            } catch {
                StandardError.write("ibmctl: publishing on \(endpoint) failed: \(error)\n")
                return
            }
            var poller = Poller()
            _ = try? poller.add(socket, events: .pollOut)
            _ = try? poller.poll(timeoutMilliseconds: 100)
        }
    }

    /// Lets queued events reach the subscribers before the socket closes.
    func drain() {
        try? socket.set(.linger, 10_000)
        socket.close()
    }
}
