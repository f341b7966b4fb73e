import ArgumentParser
import Foundation
import IBMProtocol

/// `ibmctl feed`: plays a scenario into the agency daemons' HTTP intakes, paced by the
/// alerts' own times, and reports what each intake took and what the hub answered.
struct Feed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a scenario of alerts into the agency daemons' HTTP intakes, paced by the alerts' own times.",
        discussion: """
            FILE holds alerts in the JSON form of DESIGN.md §4 (JSON lines, one object or an array). \
            Each alert goes to the intake of its `origin` (POST /v1/alerts on ibm-border, ibm-migration \
            or ibm-customs), in file order, at the moment its `observed_at` falls due when the \
            scenario's first alert is played now and time runs --speed times faster; `--speed max` \
            sends as fast as the intakes take them. Alerts that fall due together go in one POST \
            per agency (at most --batch); when an intake refuses such a batch (400), each alert is \
            sent alone so that only the bad ones are refused.

            While feeding and afterwards, the delivery state of every alert taken is polled \
            (GET /v1/alerts/{id}) until the hub has answered it or --ack-timeout runs out. One JSON \
            line per alert is printed on stdout once its fate is known:
              {"alert_id":"…","agency":"border","state":"acked","outcome":"accepted|duplicate|correlated","seq":N,"incident_id":"…"}
              {"alert_id":"…","agency":"border","state":"nacked","code":"…","reason":"…"}
              {"alert_id":"…","agency":"border","state":"rejected","http_status":400,"answer":…}
            Progress and the closing summary go to stderr.

            Exit status: 0 when every alert was taken by its intake and answered by the hub (a nack \
            is an answer); 1 when an alert could not be read, was refused by an intake, was still \
            unanswered at the end, or the feed was interrupted; 2 on usage errors or when an intake \
            could not be reached for --retry-for seconds.
            """)

    @Argument(help: ArgumentHelp("Scenario file of alerts; - reads standard input.", valueName: "file"))
    var file = "../shared/scenarios/dev/alerts.jsonl"

    @Option(help: ArgumentHelp(
        "How much faster than the scenario's own clock to play it, or max.", valueName: "factor|max"))
    var speed: ReplaySpeed = .factor(600)

    @Option(help: ArgumentHelp("Intake of ibm-border.", valueName: "host:port"))
    var border = "127.0.0.1:7781"

    @Option(help: ArgumentHelp("Intake of ibm-migration.", valueName: "host:port"))
    var migration = "127.0.0.1:7782"

    @Option(help: ArgumentHelp("Intake of ibm-customs.", valueName: "host:port"))
    var customs = "127.0.0.1:7783"

    @Option(help: ArgumentHelp("Most alerts in one POST, when several fall due together.", valueName: "n"))
    var batch = 200

    @Option(help: ArgumentHelp(
        "After the last POST, wait at most this long for the hub's answers (0: do not wait).", valueName: "seconds"))
    var ackTimeout: Double = 60

    @Option(help: ArgumentHelp(
        "Keep retrying an intake that cannot be reached, or answers 429 or 5xx, for this long.", valueName: "seconds"))
    var retryFor: Double = 30

    func validate() throws {
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 10000") }
        guard ackTimeout >= 0, ackTimeout.isFinite else {
            throw ValidationError("--ack-timeout must be a number of seconds, 0 or more")
        }
        guard retryFor >= 0, retryFor.isFinite else { throw ValidationError("--retry-for must be a number of seconds, 0 or more") }
        _ = try intakes()
    }

    /// The three intakes by agency name, which is also the `origin` they take.
    func intakes() throws(ValidationError) -> [String: Intake] {
        var result: [String: Intake] = [:]
        for (agency, text) in [("border", border), ("migration", migration), ("customs", customs)] {
            guard let (host, port) = try? HubOptions.split(text), let port else {
                throw ValidationError("--\(agency) \(text) is not HOST:PORT")
            }
            result[agency] = Intake(agency: agency, host: host, port: port)
        }
        return result
    }

    func run() throws {
        Interrupt.install()
        let intakes = try intakes()
        let input = try AlertInput(path: file)
        let codec = AlertJSON()
        var feeder = Feeder(
            output: BufferedOutput.standardOutput(), batchLimit: batch,
            retryMilliseconds: Int64(retryFor * 1000))

        let start = monotonicMilliseconds()
        var firstObserved: Int64?
        var due: [Feeder.Item] = []
        var readFailure: AlertInput.SyntaxError?
        do {
            while !Interrupt.requested {
                let item: AlertInput.Item?
                do {
                    item = try input.next()
                } catch {
                    readFailure = error
                    break
                }
                guard let item else { break }
                feeder.read += 1
                let alert: Ibm_V1_Alert
                do {
                    alert = try codec.decode(item.bytes)
                } catch {
                    feeder.unreadable += 1
                    StandardError.write("ibmctl: \(file):\(item.line): alert not sent: \(error)\n")
                    continue
                }
                guard let intake = intakes[alert.origin] else {
                    feeder.unreadable += 1
                    StandardError.write("""
                        ibmctl: \(file):\(item.line): alert \(alert.id) not sent: origin "\(alert.origin)" \
                        has no intake (border, migration, customs)\n
                        """)
                    continue
                }
                let observed = alert.observedAt.unixMilliseconds
                let first = firstObserved ?? observed
                firstObserved = first
                var dueAt = start
                if case let .factor(factor) = speed {
                    dueAt += Int64((Double(observed - first) / factor).rounded())
                }
                if dueAt > monotonicMilliseconds() {
                    // Everything gathered so far is due now; then wait, answering polls meanwhile.
                    try feeder.post(due)
                    due.removeAll()
                    feeder.wait(until: dueAt)
                    if Interrupt.requested { break }
                }
                due.append(Feeder.Item(id: alert.id, intake: intake, bytes: item.bytes))
                if due.count >= batch {
                    try feeder.post(due)
                    due.removeAll()
                }
                feeder.reportProgress(scenarioTime: observed)
            }
            if !Interrupt.requested { try feeder.post(due) }
        } catch {
            // An intake that stays unreachable ends the feed: still say what got through.
            feeder.output.flush()
            let elapsed = Double(monotonicMilliseconds() - start) / 1000
            StandardError.write("ibmctl: feed \(file): " + feeder.summary(seconds: elapsed) + "\n")
            throw error
        }
        let interrupted = Interrupt.requested
        if let readFailure {
            StandardError.write("ibmctl: \(file): \(readFailure); the rest of the file was not read\n")
        }
        if ackTimeout > 0, !interrupted {
            feeder.awaitAnswers(until: monotonicMilliseconds() + Int64(ackTimeout * 1000))
        }
        feeder.output.flush()
        let elapsed = Double(monotonicMilliseconds() - start) / 1000
        StandardError.write("ibmctl: feed \(file): " + feeder.summary(seconds: elapsed) + "\n")
        if feeder.sent == 0, feeder.unreadable == 0, readFailure == nil, !interrupted {
            StandardError.write("ibmctl: \(file) holds no alert\n")
        }
        // Not waited for (--ack-timeout 0, or interrupted): not counted as unanswered.
        let unanswered = ackTimeout > 0 && !interrupted ? feeder.pendingCount : 0
        if interrupted || readFailure != nil || feeder.unreadable > 0 || feeder.rejected > 0 || unanswered > 0 {
            var problems: [String] = []
            if interrupted { problems.append("interrupted") }
            if readFailure != nil { problems.append("the input is malformed") }
            if feeder.unreadable > 0 { problems.append("\(feeder.unreadable) alerts could not be read") }
            if feeder.rejected > 0 { problems.append("\(feeder.rejected) refused by an intake") }
            if unanswered > 0 { problems.append("\(unanswered) unanswered after \(String(format: "%g", ackTimeout)) s") }
            throw CtlError.checkFailed(problems.joined(separator: "; "))
        }
    }
}

/// An agency daemon's HTTP intake.
struct Intake {
    var agency: String
    var host: String
    var port: Int
    var label: String { "the \(agency) intake at \(host):\(port)" }
}

/// Posts alerts to the intakes and follows each one's delivery state to the hub's answer.
///
/// Confined to the command's thread.
struct Feeder {
    /// One alert's JSON text, bound for one intake.
    struct Item {
        var id: String
        var intake: Intake
        var bytes: [UInt8]
    }

    /// An alert an intake took, waiting for the hub's answer.
    struct Pending {
        var id: String
        var intake: Intake
        /// When it may next be polled (monotonic milliseconds).
        var nextPoll: Int64
    }

    let output: BufferedOutput
    let batchLimit: Int
    let retryMilliseconds: Int64

    var read = 0
    var unreadable = 0
    var sent = 0
    var sentByAgency: [String: Int] = [:]
    var rejected = 0
    var acked = 0
    var ackedByOutcome: [String: Int] = [:]
    var nacked = 0

    /// Pending alerts in polling order from `head`; the slots before it are spent.
    private var pending: [Pending] = []
    private var head = 0
    private var lastProgress = monotonicMilliseconds()

    /// Time between two polls of one alert.
    static let pollInterval: Int64 = 250
    /// Most GETs in one polling round while feeding (the POSTs must not fall behind).
    static let pollsPerRound = 25
    /// RFC 3986 unreserved characters: an id made of them goes into the path as it is.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    init(output: BufferedOutput, batchLimit: Int, retryMilliseconds: Int64) {
        self.output = output
        self.batchLimit = batchLimit
        self.retryMilliseconds = retryMilliseconds
    }

    var pendingCount: Int { pending.count - head }

    // MARK: Sending

    /// Posts `items`, one POST per agency in first-seen order, each alert in file order.
    mutating func post(_ items: [Item]) throws(CtlError) {
        var order: [String] = []
        var byAgency: [String: [Item]] = [:]
        for item in items {
            if byAgency[item.intake.agency] == nil { order.append(item.intake.agency) }
            byAgency[item.intake.agency, default: []].append(item)
        }
        for agency in order {
            try post(byAgency[agency] ?? [], to: byAgency[agency]?.first?.intake)
        }
    }

    private mutating func post(_ items: [Item], to intake: Intake?) throws(CtlError) {
        guard let intake, !items.isEmpty else { return }
        var body: [UInt8]
        if items.count == 1 {
            body = items[0].bytes
        } else {
            body = [UInt8(ascii: "[")]
            for (index, item) in items.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body.append(contentsOf: item.bytes)
            }
            body.append(UInt8(ascii: "]"))
        }
        let response = try send(body, to: intake)
        switch response.status {
        case 200..<300:
            let now = monotonicMilliseconds()
            for item in items {
                pending.append(Pending(id: item.id, intake: intake, nextPoll: now + Self.pollInterval))
            }
            sent += items.count
            sentByAgency[intake.agency, default: 0] += items.count
        case 400..<500 where items.count > 1:
            // The intake takes a batch whole or not at all: find the bad ones alone.
            for item in items { try post([item], to: intake) }
        default:
            rejected += 1
            let answer = (try? JSONParser(maxDepth: 32, maxBytes: 1 << 20).parse(response.body))
                ?? .string(String(decoding: response.body.prefix(2000), as: UTF8.self))
            writeLine([
                ("alert_id", .string(items[0].id)), ("agency", .string(intake.agency)), ("state", .string("rejected")),
                ("http_status", JSONValue.number(response.status)), ("answer", answer),
            ])
            StandardError.write("ibmctl: \(intake.label) refused alert \(items[0].id) (\(response.status)): "
                + "\(String(decoding: response.body.prefix(500), as: UTF8.self))\n")
        }
    }

    /// POSTs `body`, retrying while the intake cannot be reached or is overloaded.
    private func send(_ body: [UInt8], to intake: Intake) throws(CtlError) -> HTTPGet.Response {
        let giveUp = monotonicMilliseconds() + retryMilliseconds
        var warned = false
        while true {
            let problem: String
            do {
                let response = try HTTPGet.request(
                    "POST", host: intake.host, port: intake.port, path: "/v1/alerts", body: body,
                    timeoutMilliseconds: 30_000)
                if response.status != 429, response.status < 500 { return response }
                problem = "it answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
            } catch {
                problem = error.description
            }
            if Interrupt.requested || monotonicMilliseconds() >= giveUp {
                throw .connection("cannot post to \(intake.label): \(problem)")
            }
            if !warned {
                StandardError.write("ibmctl: \(intake.label): \(problem); retrying\n")
                warned = true
            }
            sleepMicroseconds(250_000)
        }
    }

    // MARK: Following delivery

    /// Sleeps until `deadline` (monotonic ms), polling delivery states meanwhile.
    mutating func wait(until deadline: Int64) {
        while !Interrupt.requested {
            let now = monotonicMilliseconds()
            guard now < deadline else { return }
            pollRound(limit: Self.pollsPerRound)
            reportProgress(scenarioTime: nil)
            let left = deadline - monotonicMilliseconds()
            if left > 0 { sleepMicroseconds(min(left, 50) * 1000) }
        }
    }

    /// Polls until every alert is answered, `deadline` passes, or the user interrupts.
    mutating func awaitAnswers(until deadline: Int64) {
        while pendingCount > 0, !Interrupt.requested, monotonicMilliseconds() < deadline {
            let polled = pollRound(limit: 500)
            reportProgress(scenarioTime: nil)
            if polled == 0 { sleepMicroseconds(50_000) }
        }
    }

    /// Polls up to `limit` pending alerts that are due for it; returns how many were polled.
    @discardableResult
    private mutating func pollRound(limit: Int) -> Int {
        var polled = 0
        let now = monotonicMilliseconds()
        var stillPending: [Pending] = []
        while polled < limit, head < pending.count, pending[head].nextPoll <= now {
            var entry = pending[head]
            head += 1
            polled += 1
            if !resolve(entry) {
                entry.nextPoll = now + Self.pollInterval
                stillPending.append(entry)
            }
        }
        pending.append(contentsOf: stillPending)
        if head > 4096, head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return polled
    }

    /// Asks the intake for the alert's state; true (and a line printed) once the hub has answered.
    private mutating func resolve(_ entry: Pending) -> Bool {
        let path = "/v1/alerts/" + (entry.id.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? entry.id)
        guard let response = try? HTTPGet.fetch(host: entry.intake.host, port: entry.intake.port, path: path),
              response.status == 200,
              let state = try? JSONParser(maxDepth: 32, maxBytes: 1 << 20).parse(response.body)
        else { return false }
        let delivery = DeliveryState(state)
        switch delivery.state {
        case "acked":
            acked += 1
            ackedByOutcome[delivery.outcome, default: 0] += 1
            writeLine([
                ("alert_id", .string(entry.id)), ("agency", .string(entry.intake.agency)), ("state", .string("acked")),
                ("outcome", .string(delivery.outcome)), ("seq", delivery.seq), ("incident_id", .string(delivery.incidentID)),
            ])
            return true
        case "nacked":
            nacked += 1
            writeLine([
                ("alert_id", .string(entry.id)), ("agency", .string(entry.intake.agency)), ("state", .string("nacked")),
                ("code", .string(delivery.code)), ("reason", .string(delivery.reason)),
            ])
            return true
        default:
            return false
        }
    }

    private func writeLine(_ members: [(key: String, value: JSONValue)]) {
        output.writeLine(JSONWriter.bytes(.object(members)))
        output.flush()
    }

    // MARK: Reporting

    /// A progress line on stderr every few seconds.
    mutating func reportProgress(scenarioTime: Int64?) {
        let now = monotonicMilliseconds()
        guard now - lastProgress >= 5000 else { return }
        lastProgress = now
        var line = "ibmctl: feed: sent \(sent), acked \(acked), nacked \(nacked), waiting \(pendingCount)"
        if rejected > 0 { line += ", refused \(rejected)" }
        if let scenarioTime { line += "; scenario time \(RFC3339.format(.init(unixMilliseconds: scenarioTime)))" }
        StandardError.write(line + "\n")
    }

    func summary(seconds: Double) -> String {
        let agencies = ["border", "migration", "customs"].map { "\($0) \(sentByAgency[$0] ?? 0)" }
        let outcomes = ackedByOutcome.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        var text = "\(read) alerts read, \(sent) taken by the intakes (\(agencies.joined(separator: ", "))) "
            + "in \(String(format: "%.1f", seconds)) s; hub answers: \(acked) acked"
        if !outcomes.isEmpty { text += " (\(outcomes.joined(separator: ", ")))" }
        text += ", \(nacked) nacked, \(pendingCount) not answered yet"
        if rejected > 0 { text += "; \(rejected) refused by an intake" }
        if unreadable > 0 { text += "; \(unreadable) not sent (unreadable)" }
        return text
    }
}

/// The parts of an agency daemon's `GET /v1/alerts/{id}` answer the feeder reports:
/// `state` (queued, acked, nacked) with `seq`, `outcome`, `incident_id` or `code`, `reason`.
struct DeliveryState {
    var state: String
    var outcome: String
    var seq: JSONValue
    var incidentID: String
    var code: String
    var reason: String

    init(_ value: JSONValue) {
        state = Self.text(value["state"])
        outcome = Self.text(value["outcome"])
        seq = value["seq"] ?? .null
        incidentID = Self.text(value["incident_id"])
        code = Self.text(value["code"])
        reason = Self.text(value["reason"])
    }

    private static func text(_ value: JSONValue?) -> String {
        switch value {
        case let .string(text)?, let .number(text)?: text
        default: ""
        }
    }
}
