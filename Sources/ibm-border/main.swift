import AgencyNode
import ArgumentParser
import Logging

/// The border agency daemon: a thin main over AgencyNode (the profile is in Config/border.yaml).
@main
struct Daemon: AsyncParsableCommand {
    static let configuration = AgencyDaemon.configuration(agency: "border")

    @OptionGroup var options: AgencyOptions

    func run() async throws {
        try options.bootstrapLogging()
        try await AgencyDaemon.run(agency: "border", options: options, logger: Logger(label: "ibm-border"))
    }
}
