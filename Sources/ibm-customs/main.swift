import ArgumentParser

/// The customs agency daemon. The agency node library lands with issue 5; until
/// then this binary only parses its options and says so.
@main
struct AgencyDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ibm-customs",
        abstract: "The customs agency's node in the IBM network: local intake, durable outbox, feed."
    )

    @Option(help: "Path of the agency configuration file.")
    var config = "Config/customs.yaml"

    @Option(help: "Folder for the outbox, inbox and spool.")
    var data: String?

    @Flag(help: "Turn CURVE off (loopback development only).")
    var insecure = false

    func run() throws {
        throw ValidationError("the customs agency daemon is not implemented in this build yet")
    }
}
