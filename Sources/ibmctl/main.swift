import ArgumentParser

@main
struct IBMCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ibmctl",
        abstract: "Operate and watch IBM Hub: watch, replay, verify, publish, keys, status."
    )
}
