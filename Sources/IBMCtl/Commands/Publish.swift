import ArgumentParser
import CAP
import Foundation
import HubClient
import IBMProtocol
import ZeroMQ

/// `ibmctl publish`: sends alerts and prints the hub's answer to each.
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish alerts to the hub and print its answer to each.",
        discussion: """
            FILE holds alerts in the JSON form of DESIGN.md §4: one object, an array of objects, \
            or one object per line (JSON lines); - reads standard input. Each alert is sent as \
            the identity given with --as, whose key the hub maps to the origin. Against a hub \
            started with --insecure, --as may be left out and each alert's own `origin` is used \
            (with --as, every alert's origin is set to it), so one mixed file from all three \
            agencies can be published in one go.

            With --cap, FILE holds OASIS CAP 1.2 XML instead (Protocols/CAP.md): one document, or \
            several, each beginning with its <?xml declaration on a new line (as `replay --format cap` \
            prints them). Each <info> block is one alert. The origin is the --as identity, or else \
            the CAP <sender> up to any @.

            One JSON line per answer is printed on stdout, in the order the answers arrive:
              {"alert_id":"…","outcome":"accepted|duplicate|correlated","seq":N,"incident_id":"…"}
              {"alert_id":"…","nack":{"code":"…","reason":"…"}}

            Exit status: 0 when every alert got an answer (a nack is an answer); 1 when an alert \
            was left unanswered or could not be read; 2 on usage errors, or when the hub never \
            answered at all.
            """)

    @OptionGroup(title: "Hub")
    var hubOptions: HubOptions

    @OptionGroup(title: "Identity")
    var identityOptions: IdentityOptions

    @Flag(help: "FILE holds CAP 1.2 XML documents instead of JSON alerts.")
    var cap = false

    @Option(help: ArgumentHelp("Send at most this many alerts per second (a simple load generator).", valueName: "n"))
    var rate: Double?

    @Option(help: ArgumentHelp("Wait at most this long for the answers, in seconds.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Alerts in flight without an answer.", valueName: "n"))
    var window: Int = 1000

    @Argument(help: ArgumentHelp("File of alerts; - reads standard input.", valueName: "file"))
    var file: String

    /// Alerts are read and sent in batches, so a large file needs little memory.
    static let batchSize = 10_000

    func validate() throws {
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        guard (1...100_000).contains(window) else { throw ValidationError("--window must be from 1 to 100000") }
        if !identityOptions.insecure, identityOptions.identity == nil {
            throw ValidationError("publishing needs --as IDENTITY (the agency whose key signs the alerts), or --insecure")
        }
    }

    func run() throws {
        let address = try hubOptions.address()
        let security = try identityOptions.security(defaultIdentity: "coordinator")
        let stampedOrigin = identityOptions.insecure ? identityOptions.identity : nil
        let jsonInput = cap ? nil : try AlertInput(path: file)
        let capInput = cap ? try CAPInput(path: file) : nil
        let context = try ZMQContext()
        let client = try IngestClient(context: context, endpoint: address.ingest, security: security, window: window)
        let output = BufferedOutput.standardOutput()
        let codec = AlertJSON()
        let pace = rate.map { Int64((1_000_000 / $0).rounded()) } ?? 0
        let timeoutMilliseconds = Int64(timeout * 1000)

        var sent = 0
        var answered = 0
        var unreadable = 0
        var unanswered: [String] = []
        var batch: [Ibm_V1_Alert] = []
        var lastFlush = monotonicMilliseconds()
        var readFailure: AlertInput.SyntaxError?

        func send() throws {
            guard !batch.isEmpty else { return }
            // Pacing adds to the time allowed, so a slow --rate never times out by itself.
            let budget = timeoutMilliseconds + Int64(batch.count) * pace / 1000
            let left = try client.publish(batch, timeoutMilliseconds: budget, paceMicroseconds: pace) { _, answer in
                answered += 1
                output.writeLine(JSONWriter.bytes(Self.line(for: answer)))
                let now = monotonicMilliseconds()
                if output.isTerminal || now - lastFlush >= 500 {
                    output.flush()
                    lastFlush = now
                }
            }
            sent += batch.count
            unanswered += left.map { batch[$0].id }
            batch.removeAll(keepingCapacity: true)
            output.flush()
        }

        while true {
            let item: AlertInput.Item?
            do {
                if let capInput {
                    item = try capInput.next()
                } else {
                    item = try jsonInput?.next()
                }
            } catch {
                readFailure = error
                break
            }
            guard let item else { break }
            if cap {
                do {
                    // The identity signing the alerts is their origin; without one, the CAP sender.
                    batch += try CAPImport.alerts(fromXML: item.bytes, origin: identityOptions.identity)
                } catch {
                    unreadable += 1
                    StandardError.write("ibmctl: \(file):\(item.line): CAP document not sent: \(error)\n")
                }
            } else {
                do {
                    var alert = try codec.decode(item.bytes)
                    if let stampedOrigin { alert.origin = stampedOrigin }
                    batch.append(alert)
                } catch {
                    unreadable += 1
                    StandardError.write("ibmctl: \(file):\(item.line): alert not sent: \(error)\n")
                }
            }
            if batch.count >= Self.batchSize { try send() }
        }
        try send()

        if let readFailure {
            StandardError.write("ibmctl: \(file): \(readFailure); the rest of the file was not read\n")
        }
        if sent > 0, answered == 0 {
            throw CtlError.connection("""
                no answer from the hub at \(address.ingest) within \(String(format: "%g", timeout)) s: \
                is it running\(identityOptions.insecure ? " with --insecure" : ", and does it admit this identity's key")?
                """)
        }
        for id in unanswered.prefix(20) {
            StandardError.write("ibmctl: no answer for alert \(id)\n")
        }
        if unanswered.count > 20 { StandardError.write("ibmctl: … and \(unanswered.count - 20) more without an answer\n") }
        if sent == 0, unreadable == 0, readFailure == nil {
            StandardError.write("ibmctl: \(file) holds no alert\n")
        }
        if !unanswered.isEmpty || unreadable > 0 || readFailure != nil {
            throw CtlError.checkFailed(
                "\(answered) of \(sent + unreadable) alerts answered"
                    + (unreadable > 0 ? "; \(unreadable) could not be read" : "")
                    + (readFailure != nil ? "; the input is malformed" : ""))
        }
    }

    /// The line scripts rely on; its shape is fixed.
    static func line(for answer: PublishAnswer) -> JSONValue {
        switch answer {
        case let .ack(ack):
            .object([
                ("alert_id", .string(ack.alertID)),
                ("outcome", .string(ack.outcome.jsonName ?? "unspecified")),
                ("seq", .number(ack.seq)),
                ("incident_id", .string(ack.incidentID)),
            ])
        case let .nack(nack):
            .object([
                ("alert_id", .string(nack.alertID)),
                ("nack", .object([
                    ("code", .string(nack.code.jsonName ?? "unspecified")),
                    ("reason", .string(nack.reason)),
                ])),
            ])
        }
    }
}
