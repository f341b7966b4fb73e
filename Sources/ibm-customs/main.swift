import AgencyNode
import ArgumentParser
import Logging

/// The customs agency daemon: a thin main over AgencyNode (the profile is in Config/customs.yaml).
@main
struct Daemon: AsyncParsableCommand {
    static let configuration = AgencyDaemon.configuration(agency: "customs")

    @OptionGroup var options: AgencyOptions

    func run() async throws {
        try options.bootstrapLogging()
        try await AgencyDaemon.run(agency: "customs", options: options, logger: Logger(label: "ibm-customs"))
    }
}
