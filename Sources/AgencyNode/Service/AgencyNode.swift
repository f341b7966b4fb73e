import Foundation
import HubClient
import IBMProtocol
import Logging
import ServiceLifecycle
import ZeroMQ

/// One agency's node in the IBM network, as services to run in a `ServiceGroup`:
/// local intake (HTTP and spool) into a durable outbox, a sender draining it to the hub,
/// and a follower keeping the local inbox equal to the picture the hub releases to it.
///
///     let node = try AgencyNode(configuration: configuration, logger: logger)
///     try await ServiceGroup(services: node.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
public struct AgencyNode: Sendable {
    public let configuration: AgencyConfiguration
    public let metrics: AgencyMetrics
    public let outbox: OutboxStore
    public let inbox: InboxStore
    public let intake: AlertIntake
    let intakeQueue: IntakeQueue
    let status: NodeStatus
    let notifier: EventNotifier
    let work: SenderWork
    let decodeCAP: CAPDecoder
    let exportCAP: @Sendable (Ibm_V1_Alert) -> String
    let logger: Logger

    public init(configuration: AgencyConfiguration, logger: Logger) throws {
        try configuration.validate()
        var logger = logger
        logger[metadataKey: "agency.id"] = "\(configuration.agency)"
        self.configuration = configuration
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw AgencyError.storage("cannot create the data folder \(configuration.dataDirectory): \(error)")
        }
        metrics = AgencyMetrics()
        outbox = try OutboxStore(path: configuration.outboxPath, fsync: configuration.outbox.fsync)
        inbox = try InboxStore(path: configuration.inboxPath, maxEvents: configuration.inbox.maxEvents)
        intake = AlertIntake(agency: configuration.agency, profile: configuration.profile)
        status = NodeStatus()
        notifier = EventNotifier()
        let work = SenderWork()
        self.work = work
        intakeQueue = IntakeQueue(store: outbox, maxBatch: configuration.outbox.maxBatch, logger: logger) { _ in work.signal() }
        decodeCAP = CAPSupport.decoder(agency: configuration.agency)
        exportCAP = CAPSupport.exporter(agency: configuration.agency)
    }

    /// The messaging threads, the HTTP server, and the closer of `/v1/feed` streams.
    /// Graceful shutdown runs in reverse order: feed streams end, then the HTTP server
    /// drains its requests, then the intake commits what it holds and the threads stop.
    public var services: [any Service] {
        [AgencyMessagingService(node: self), AgencyHTTP.makeApplication(node: self), FeedStreamCloser(notifier: notifier)]
    }
}

/// Ends the open `/v1/feed` streams at graceful shutdown, so that the HTTP server can stop.
struct FeedStreamCloser: Service {
    let notifier: EventNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.finishAll()
    }
}

/// Runs the daemon's threads (intake writer, sender, follower, spool) until graceful shutdown.
struct AgencyMessagingService: Service {
    let node: AgencyNode

    func run() async throws {
        let configuration = node.configuration
        let logger = node.logger
        if configuration.insecure {
            logger.warning("INSECURE MODE: CURVE is off; traffic to the hub is plain text and unauthenticated. Loopback development only.")
        }
        let security = try configuration.clientSecurity()
        let context = try ZMQContext(ioThreads: 1)

        let queue = node.intakeQueue
        let writer = try ConfinedThread(name: "agency.intake") { queue.run() }
        let sender = OutboxSender(store: node.outbox, configuration: configuration, metrics: node.metrics, status: node.status,
                                  work: node.work, logger: logger)
        let senderThread = try ConfinedThread(name: "agency.sender") { sender.run(context: context, security: security) }
        let follower = InboxFollower(inbox: node.inbox, configuration: configuration, metrics: node.metrics,
                                     status: node.status, notifier: node.notifier, logger: logger)
        let followerThread = try ConfinedThread(name: "agency.follow") { follower.run(context: context, security: security) }
        let status = node.status
        let spoolThread = !configuration.spool.enabled ? nil : try ConfinedThread(name: "agency.spool") { [node] in
            do {
                let watcher = try SpoolWatcher(directory: configuration.spoolDirectory, intake: node.intake, queue: node.intakeQueue,
                                               decodeCAP: node.decodeCAP, metrics: node.metrics, logger: logger)
                watcher.run(every: configuration.spool.scanEveryMilliseconds) { status.stopRequested }
            } catch {
                logger.error("the spool folder is not watched", metadata: ["error": "\(error)"])
            }
        }
        logger.info("agency node ready", metadata: [
            "http": "\(configuration.httpHost):\(configuration.httpPort)", "hub": "\(configuration.hub.ingest)",
            "data": "\(configuration.dataDirectory)",
        ])

        let stop: @Sendable () -> Void = {
            status.state.withLock { $0.stopRequested = true }
            queue.stop()
            node.notifier.finishAll()
        }
        // A thread that ends by itself (a start-up or storage failure) stops the daemon.
        let failure: AgencyError? = await withGracefulShutdownHandler {
            await withTaskGroup(of: AgencyError?.self) { group in
                group.addTask {
                    if case let .failure(error) = await senderThread.value { return error }
                    return nil
                }
                group.addTask {
                    if case let .failure(error) = await followerThread.value { return error }
                    return nil
                }
                var first: AgencyError?
                for await result in group {
                    if first == nil, let result { first = result }
                    stop()
                }
                return first
            }
        } onGracefulShutdown: {
            logger.info("agency node stopping")
            stop()
        }
        stop()
        await spoolThread?.value
        await writer.value
        if let failure {
            logger.critical("agency node failed", metadata: ["error": "\(failure)"])
            throw failure
        }
    }
}
