import ArgumentParser
import Hub
import Logging
import ServiceLifecycle

@main
struct HubDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ibm-hub",
        abstract: "The coordinating hub: acknowledged ingest, shared picture, journal, feed and sync.")

    @Option(help: "Path of the hub configuration file.") var config = "Config/hub.yaml"
    @Option(help: "Data folder (overrides the configuration's data_dir).") var data: String?
    @Flag(help: "Turn CURVE off (loopback development only).") var insecure = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: Logger.Level = .info

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "ibm-hub")
        let configuration = try HubConfiguration.load(path: config, dataDirectory: data, insecure: insecure)
        let hub = try Hub(configuration: configuration, logger: logger)
        try await ServiceGroup(services: hub.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
