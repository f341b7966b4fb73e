import ArgumentParser
import Logging
import ServiceLifecycle

/// The command line shared by `ibm-border`, `ibm-migration` and `ibm-customs`.
public struct AgencyOptions: ParsableArguments {
    @Option(help: "Path of the agency configuration file (default: Config/<agency>.yaml).")
    public var config: String?

    @Option(help: "Folder for the outbox, inbox and spool (overrides data_dir).")
    public var data: String?

    @Flag(help: "Turn CURVE off (loopback development only).")
    public var insecure = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel = "info"

    public init() {}

    /// The log level asked for.
    public var level: Logger.Level {
        get throws {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
            }
            return level
        }
    }

    /// Sends log records at the asked level to standard error; `main` calls it once, first.
    public func bootstrapLogging() throws {
        let level = try self.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// What each agency binary runs: it differs only by the agency name.
public enum AgencyDaemon {
    public static func configuration(agency: String) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "ibm-\(agency)",
            abstract: "The \(agency) agency's node in the IBM network: local intake (HTTP, spool), durable outbox, shared picture.")
    }

    /// Loads `Config/<agency>.yaml` (or `--config`) and runs the node until SIGTERM or SIGINT.
    public static func run(agency: String, options: AgencyOptions, logger: Logger) async throws {
        let configuration = try AgencyConfiguration.load(
            path: options.config ?? "Config/\(agency).yaml", agency: agency, dataDirectory: options.data, insecure: options.insecure)
        let node = try AgencyNode(configuration: configuration, logger: logger)
        try await ServiceGroup(services: node.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
