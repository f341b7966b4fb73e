import ArgumentParser
import HubClient

/// Where the hub listens. Shared by every command that talks to a hub.
struct HubOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The hub's host, optionally with its ingest port (default 127.0.0.1).",
        valueName: "host[:ingest-port]"))
    var hub: String?

    @Option(help: ArgumentHelp("Port of the hub's ingest socket (default 7701).", valueName: "port"))
    var ingestPort: Int?

    @Option(help: ArgumentHelp("Port of the hub's feed socket (default 7702).", valueName: "port"))
    var feedPort: Int?

    @Option(help: ArgumentHelp("Port of the hub's sync socket (default 7703).", valueName: "port"))
    var syncPort: Int?

    @Option(help: ArgumentHelp("Port of the hub's HTTP server, /healthz and /metrics (default 7780).", valueName: "port"))
    var httpPort: Int?

    func validate() throws {
        for (name, port) in [("--ingest-port", ingestPort), ("--feed-port", feedPort),
                             ("--sync-port", syncPort), ("--http-port", httpPort)] {
            if let port, !(1...65535).contains(port) {
                throw ValidationError("\(name) must be a port from 1 to 65535, not \(port)")
            }
        }
        _ = try address()
    }

    /// The hub's address: defaults, then `--hub`, then the explicit ports.
    func address() throws(ValidationError) -> HubAddress {
        var address = HubAddress()
        if let hub {
            let (host, port) = try Self.split(hub)
            address.host = host
            if let port {
                if let ingestPort, ingestPort != port {
                    throw ValidationError("--hub gives ingest port \(port) but --ingest-port gives \(ingestPort)")
                }
                address.ingestPort = port
            }
        }
        if let ingestPort { address.ingestPort = ingestPort }
        if let feedPort { address.feedPort = feedPort }
        if let syncPort { address.syncPort = syncPort }
        if let httpPort { address.httpPort = httpPort }
        return address
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    static func split(_ text: String) throws(ValidationError) -> (host: String, port: Int?) {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw ValidationError("--hub \(text): an IPv6 address needs its closing ]")
            }
            let after = host[host.index(after: close)...]
            host = host[...close]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw ValidationError("--hub \(text) is not HOST[:PORT]")
            }
        } else if let colon = host.firstIndex(of: ":") {
            guard host[host.index(after: colon)...].firstIndex(of: ":") == nil else {
                throw ValidationError("--hub \(text): write an IPv6 address in brackets, [::1]:7701")
            }
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw ValidationError("--hub \(text) has no host") }
        guard let portText else { return (String(host), nil) }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw ValidationError("--hub \(text): \"\(portText)\" is not a port from 1 to 65535")
        }
        return (String(host), port)
    }
}

/// Who to connect as, and with which CURVE keys.
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp(
        "Identity to connect as; its secret key is IDENTITY.key in the key folder (default: coordinator).",
        valueName: "identity"))
    var identity: String?

    @Option(help: ArgumentHelp(
        "Folder of the CURVE keys: IDENTITY.key, and hub.pub for the hub's public key.", valueName: "dir"))
    var keyDir = ".dev/keys"

    @Flag(help: "Connect without CURVE, to a hub started with --insecure (loopback development only).")
    var insecure = false

    /// CURVE with `identity` (or `--as`) unless `--insecure`.
    func security(defaultIdentity: String) throws(CtlError) -> ClientSecurity {
        if insecure { return .insecure }
        let name = identity ?? defaultIdentity
        do {
            return try ClientSecurity.fromKeyDirectory(keyDir, identity: name)
        } catch {
            throw .usage("""
                \(error)
                (make keys with `ibmctl keys generate --name \(name) --out \(keyDir)`, give another folder \
                with --key-dir, or use --insecure against a hub started with --insecure)
                """)
        }
    }
}

/// Narrows what is shown: shared by watch and replay.
struct PictureFilterOptions: ParsableArguments {
    @Option(name: .customLong("category"), parsing: .upToNextOption, help: ArgumentHelp(
        "Only these threat categories (repeat, or list several).", valueName: "category"))
    var categories: [CategoryName] = []

    @Option(name: .customLong("sector"), parsing: .upToNextOption, help: ArgumentHelp(
        "Only these sectors, e.g. TN-LY, LY-SEA.", valueName: "sector"))
    var sectors: [String] = []
}
