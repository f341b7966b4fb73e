import AgencyNode
import ArgumentParser
import Logging

/// The migration agency daemon: a thin main over AgencyNode (the profile is in Config/migration.yaml).
@main
struct Daemon: AsyncParsableCommand {
    static let configuration = AgencyDaemon.configuration(agency: "migration")

    @OptionGroup var options: AgencyOptions

    func run() async throws {
        try options.bootstrapLogging()
        try await AgencyDaemon.run(agency: "migration", options: options, logger: Logger(label: "ibm-migration"))
    }
}
