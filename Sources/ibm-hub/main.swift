import ArgumentParser

@main
struct HubDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ibm-hub",
        abstract: "The coordinating hub: acknowledged ingest, shared picture, journal, feed and sync."
    )

    @Option(help: "Path of the hub configuration file.")
    var config = "Config/hub.yaml"

    @Option(help: "Data folder (overrides the configuration's data_dir).")
    var data: String?

    @Flag(help: "Turn CURVE off (loopback development only).")
    var insecure = false

    func run() throws {
        throw ValidationError("the hub service is not implemented in this build yet")
    }
}
