extension HubConfiguration {
    /// Checks what the type system cannot; each message names the key.
    public func validate() throws(HubError) {
        if insecure {
            for (key, endpoint) in [("endpoints.ingest", endpoints.ingest), ("endpoints.feed", endpoints.feed),
                                    ("endpoints.sync", endpoints.sync)] where !Self.isLoopback(zmqEndpoint: endpoint) {
                throw .configuration("\(key): --insecure is only allowed when every endpoint is on loopback, not \(endpoint)")
            }
            if !Self.isLoopback(host: endpoints.httpHost) {
                throw .configuration("endpoints.http: --insecure is only allowed on loopback, not \(endpoints.httpHost)")
            }
        }
        if let age = retention.maxAgeMilliseconds, age < dedupHorizonMilliseconds {
            throw .configuration("retention.max_age must be at least dedup.horizon, or duplicates could be journaled twice")
        }
        var names = Set<String>()
        for identity in identities where !names.insert(identity.name).inserted {
            throw .configuration("identities: \(identity.name) is listed twice")
        }
        if !insecure, identities.isEmpty {
            throw .configuration("identities: no identity is admitted; add agencies and coordinators, or use --insecure")
        }
    }

    static func isLoopback(host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Whether a `tcp://host:port`, `ipc://` or `inproc://` endpoint stays on this machine.
    static func isLoopback(zmqEndpoint endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":") else { return false }
        return isLoopback(host: String(address[..<colon]))
    }
}
