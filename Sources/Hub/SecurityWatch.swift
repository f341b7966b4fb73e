import Logging
import UnixSignals

/// The hub's security chores while it runs: in secure mode, SIGHUP reloads the identities
/// from the configuration file; in insecure mode, a warning every minute.
struct SecurityWatch: Sendable {
    let configuration: HubConfiguration
    let security: HubSecurity
    let logger: Logger

    static let insecureWarning =
        "INSECURE MODE: CURVE is off; traffic is plain text and unauthenticated, and TLP release is not enforced. Loopback development only."

    /// Runs until the task is cancelled.
    func run() async {
        if security.insecure {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                if !Task.isCancelled { logger.warning("\(Self.insecureWarning)") }
            }
            return
        }
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            reload()
        }
    }

    /// Reads the identities again; a file that does not load leaves the admitted keys as they were.
    func reload() {
        guard let path = configuration.path else {
            logger.error("SIGHUP: the hub was not started from a configuration file; nothing to reload")
            return
        }
        do {
            let fresh = try HubConfiguration.load(path: path, dataDirectory: configuration.dataDirectory)
            let table = try HubSecurity.table(fresh.identities)
            let (added, removed, changed) = security.identities.replace(with: table)
            logger.notice("SIGHUP: identities reloaded", metadata: [
                "file": "\(path)", "identities": "\(table.count)", "added": "\(added)", "removed": "\(removed)",
                "changed": "\(changed)",
            ])
        } catch {
            logger.error("SIGHUP: identities not reloaded; the admitted keys are unchanged", metadata: [
                "file": "\(path)", "error": "\(error)",
            ])
        }
    }
}
