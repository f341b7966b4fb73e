import Correlation
import Foundation
import Journal
import Logging
import ServiceLifecycle
import ZeroMQ

/// The coordinating hub, as services to run in a `ServiceGroup`.
///
///     let hub = try Hub(configuration: configuration, logger: logger)
///     let group = ServiceGroup(services: hub.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
///     try await group.run()
public struct Hub: Sendable {
    public let configuration: HubConfiguration
    public let metrics: HubMetrics
    public let picture: PublishedPicture
    let status: HubStatus
    let rules: CorrelationRules
    let logger: Logger

    public init(configuration: HubConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        metrics = HubMetrics()
        picture = PublishedPicture()
        status = HubStatus()
        if let path = configuration.correlationRulesPath {
            do {
                rules = try CorrelationRules.load(path: path)
            } catch {
                throw HubError.configuration("\(error)")
            }
        } else {
            rules = .default
        }
    }

    /// The hub's messaging service and its HTTP server.
    public var services: [any Service] {
        [
            HubMessagingService(hub: self),
            HubHTTP.makeApplication(
                host: configuration.endpoints.httpHost, port: configuration.endpoints.httpPort,
                metrics: metrics, status: status, picture: picture, logger: logger),
        ]
    }
}

/// Runs the hub's threads (core, journal writer, sync) until graceful shutdown.
struct HubMessagingService: Service {
    let hub: Hub

    func run() async throws {
        let configuration = hub.configuration
        let logger = hub.logger
        if configuration.insecure { logger.warning("\(SecurityWatch.insecureWarning)") }
        let context = try ZMQContext(ioThreads: 1)
        let security = try HubSecurity(configuration: configuration, context: context, metrics: hub.metrics, logger: logger)
        defer { security.stop() }
        let core = try ConfinedThread(name: "hub.core") { () -> Result<Void, HubError> in
            HubThreads(hub: hub, context: context, security: security).runCore()
        }
        let watch = SecurityWatch(configuration: configuration, security: security, logger: logger)
        let result = await withGracefulShutdownHandler {
            await withTaskGroup(of: Result<Void, HubError>?.self) { group in
                group.addTask {
                    await watch.run()
                    return nil
                }
                let result = await core.value
                group.cancelAll()
                return result
            }
        } onGracefulShutdown: {
            logger.info("hub stopping: finishing the commit in flight")
            hub.status.state.withLock { $0.stopRequested = true }
        }
        // A core that stopped by itself (start-up failure) stops the service group.
        try result.get()
    }
}
