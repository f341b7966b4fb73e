import ArgumentParser
import HubClient
import IBMProtocol
import ZeroMQ

/// `ibmctl watch`: the coordinator's live view of the shared picture.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the shared picture live: a snapshot of the open incidents, then the feed.",
        discussion: """
            Takes a snapshot of the open incidents through sync, then follows the feed; a gap in \
            the feed (a slow terminal, a lost connection, a hub restart) is filled through sync, \
            so the view always ends up with the hub's picture. It reconnects on its own; stop it \
            with Ctrl-C.

            On a terminal (--format table, the default there) it shows one line per open incident, \
            updated in place, newest activity first: time of the last report (UTC), category, \
            sector, place, highest severity, the agencies that corroborate it (B border, \
            M migration, C customs), contributions and headline. Incidents reported by two or \
            more agencies are highlighted. The top line shows the connection, the last sequence \
            number and events per second.

            When stdout is not a terminal, or with --format jsonl, it prints one JSON line per \
            picture event: first one {"seq":…,"kind":"snapshot","incident":{…}} line per open \
            incident, then the live events as they happen ("kind":"opened", "updated", "closed").
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, jsonl
    }

    @OptionGroup(title: "Hub")
    var hubOptions: HubOptions

    @OptionGroup(title: "Identity")
    var identityOptions: IdentityOptions

    @OptionGroup(title: "Filters")
    var filters: PictureFilterOptions

    @Option(help: ArgumentHelp("Only incidents at least this severe.", valueName: "severity"))
    var minSeverity: SeverityName?

    @Option(help: ArgumentHelp("table (a live view; only on a terminal) or jsonl (default: table on a terminal).", valueName: "format"))
    var format: Format?

    func run() throws {
        let address = try hubOptions.address()
        let security = try identityOptions.security(defaultIdentity: "coordinator")
        let output = BufferedOutput.standardOutput()
        let filter = IncidentFilter(
            categories: Set(filters.categories.map(\.value)), sectors: Set(filters.sectors),
            minimumSeverity: minSeverity?.value)
        let live: Bool
        switch format {
        case .table?:
            live = output.isTerminal
            if !live { StandardError.write("ibmctl: stdout is not a terminal; printing JSON lines\n") }
        case .jsonl?: live = false
        case nil: live = output.isTerminal
        }
        let view: PictureView = live
            ? LiveTable(output: output, hub: address.feed, filter: filter)
            : JSONLinesView(output: output, filter: filter)

        Interrupt.install()
        let context = try ZMQContext()
        let follower = try PictureFollower(context: context, address: address, security: security)
        view.start()
        defer { view.stop() }
        var haveSnapshot = false
        var failures = 0
        while !Interrupt.requested {
            do {
                if !haveSnapshot {
                    view.status(.connecting)
                    // A zero-length follow takes the snapshot and nothing else, so it can be shown first.
                    try follower.follow(forMilliseconds: 0)
                    view.snapshot(Array(follower.incidents.values), highSeq: follower.lastSeq)
                    haveSnapshot = true
                }
                let recoveries = follower.recoveries
                try follower.follow(forMilliseconds: 250, until: { Interrupt.requested }, event: { event in
                    view.event(event, follower: follower)
                })
                // Said on stderr (JSON lines only), so an operator or a fault test can see gaps happen.
                if !live, follower.recoveries > recoveries {
                    StandardError.write("ibmctl: filled \(follower.recoveries - recoveries) feed gap(s) through sync, now at seq \(follower.lastSeq)\n")
                }
                failures = 0
                view.tick(follower: follower)
            } catch let error as HubClientError {
                failures += 1
                view.status(.failed(error.description))
                // Back off, but stay responsive to Ctrl-C.
                let pause = Int64(min(failures, 5)) * 1000
                let until = monotonicMilliseconds() + pause
                while !Interrupt.requested, monotonicMilliseconds() < until { sleepMicroseconds(50_000) }
            }
        }
    }
}

/// Which incidents a view shows.
struct IncidentFilter {
    var categories: Set<Ibm_V1_Category>
    var sectors: Set<String>
    var minimumSeverity: Ibm_V1_Severity?

    func matches(_ incident: Ibm_V1_Incident) -> Bool {
        if !categories.isEmpty, !categories.contains(incident.category) { return false }
        if !sectors.isEmpty, !sectors.contains(incident.location.sector) { return false }
        if let minimumSeverity, incident.highestSeverity.rawValue < minimumSeverity.rawValue { return false }
        return true
    }
}

/// The state of the hub connection, as a view shows it.
enum ConnectionState {
    case connecting
    case following
    case failed(String)
}

/// A way of showing the picture: a live table or JSON lines.
protocol PictureView: AnyObject {
    func start()
    func stop()
    func status(_ state: ConnectionState)
    func snapshot(_ incidents: [Ibm_V1_Incident], highSeq: UInt64)
    func event(_ event: Ibm_V1_PictureEvent, follower: PictureFollower)
    func tick(follower: PictureFollower)
}

/// One JSON line per snapshot incident, then per event; flushed line by line.
final class JSONLinesView: PictureView {
    private let output: BufferedOutput
    private let filter: IncidentFilter
    /// Incidents shown so far, so that one that stops matching (or closes) still gets its last event.
    private var shown = Set<String>()

    init(output: BufferedOutput, filter: IncidentFilter) {
        self.output = output
        self.filter = filter
    }

    func start() {}
    func stop() { output.flush() }

    func status(_ state: ConnectionState) {
        if case let .failed(reason) = state { StandardError.write("ibmctl: \(reason); retrying\n") }
    }

    func snapshot(_ incidents: [Ibm_V1_Incident], highSeq: UInt64) {
        for incident in incidents.sorted(by: { $0.updatedSeq < $1.updatedSeq }) where filter.matches(incident) {
            shown.insert(incident.id)
            output.writeLine(JSONWriter.bytes(PictureJSON.snapshotLine(incident)))
        }
        output.flush()
    }

    func event(_ event: Ibm_V1_PictureEvent, follower: PictureFollower) {
        let id = event.incident.id
        guard filter.matches(event.incident) || shown.contains(id) else { return }
        if event.kind == .closed { shown.remove(id) } else { shown.insert(id) }
        output.writeLine(JSONWriter.bytes(PictureJSON.event(event)))
        output.flush()
    }

    func tick(follower: PictureFollower) {}
}
