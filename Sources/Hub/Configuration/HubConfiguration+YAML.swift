import IBMProtocol
import Journal
import YAMLConfig

extension HubConfiguration {
    /// Loads `path`; a bad key fails with the file, line and key path.
    /// Relative paths in the file are relative to the working directory.
    public static func load(path: String, dataDirectory: String? = nil, insecure: Bool = false) throws -> HubConfiguration {
        var configuration = try parse(ConfigNode.load(path: path))
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if insecure { configuration.insecure = true }
        configuration.path = path
        try configuration.validate()
        return configuration
    }

    public static func parse(_ root: ConfigNode) throws(ConfigError) -> HubConfiguration {
        var c = HubConfiguration()
        let top = try root.mapping(allowedKeys: [
            "endpoints", "data_dir", "journal", "dedup", "retention", "picture", "feed", "limits", "security", "identities",
        ])
        if let node = top["endpoints"] {
            let map = try node.mapping(allowedKeys: ["ingest", "feed", "sync", "http"])
            if let value = map["ingest"] { c.endpoints.ingest = try endpoint(value) }
            if let value = map["feed"] { c.endpoints.feed = try endpoint(value) }
            if let value = map["sync"] { c.endpoints.sync = try endpoint(value) }
            if let value = map["http"] {
                let text = try value.string()
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                      (1...65535).contains(port), colon != text.startIndex
                else { throw value.error("\"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:7780)") }
                c.endpoints.httpHost = String(text[..<colon])
                c.endpoints.httpPort = port
            }
        }
        if let value = top["data_dir"] { c.dataDirectory = try value.string() }
        if let node = top["journal"] {
            let map = try node.mapping(allowedKeys: ["durability", "checkpoint_every", "max_batch_records"])
            if let value = map["durability"] {
                c.journal.durability = Durability(rawValue: try value.oneOf(["fsync", "os"])) ?? .fsync
            }
            if let value = map["checkpoint_every"] { c.journal.checkpointEvery = UInt64(try value.int(in: 1_000...100_000_000)) }
            if let value = map["max_batch_records"] { c.journal.maxBatchRecords = try value.int(in: 16...1_000_000) }
        }
        if let node = top["dedup"] {
            let map = try node.mapping(allowedKeys: ["horizon"])
            if let value = map["horizon"] { c.dedupHorizonMilliseconds = try positive(value) }
        }
        if let node = top["retention"] {
            let map = try node.mapping(allowedKeys: ["max_age", "max_records", "max_bytes", "every"])
            if let value = map["max_age"] {
                let age = try value.milliseconds()
                c.retention.maxAgeMilliseconds = age > 0 ? age : nil
            }
            if let value = map["max_records"] {
                let count = try value.int(in: 0...Int.max)
                c.retention.maxRecords = count > 0 ? UInt64(count) : nil
            }
            if let value = map["max_bytes"] {
                let bytes = try value.int(in: 0...Int.max)
                c.retention.maxBytes = bytes > 0 ? Int64(bytes) : nil
            }
            if let value = map["every"] { c.retentionEveryMilliseconds = try positive(value) }
        }
        if let node = top["picture"] {
            let map = try node.mapping(allowedKeys: ["rules", "expire_every"])
            if let value = map["rules"] { c.correlationRulesPath = try value.string() }
            if let value = map["expire_every"] { c.expireEveryMilliseconds = try positive(value) }
        }
        if let node = top["feed"] {
            let map = try node.mapping(allowedKeys: ["heartbeat", "send_hwm"])
            if let value = map["heartbeat"] { c.heartbeatMilliseconds = try positive(value) }
            if let value = map["send_hwm"] { c.limits.feedSendHWM = try value.int(in: 100...10_000_000) }
        }
        if let node = top["limits"] {
            let map = try node.mapping(allowedKeys: [
                "max_message_bytes", "receive_hwm", "sync_chunk_records", "max_sync_streams", "sync_idle",
                "publish_rate", "publish_burst", "sync_streams_per_identity", "sync_requests_per_minute",
            ])
            if let value = map["max_message_bytes"] { c.limits.maxMessageBytes = try value.int(in: 4096...(64 << 20)) }
            if let value = map["receive_hwm"] { c.limits.receiveHWM = try value.int(in: 100...10_000_000) }
            if let value = map["sync_chunk_records"] { c.limits.syncChunkRecords = try value.int(in: 1...100_000) }
            if let value = map["max_sync_streams"] { c.limits.maxSyncStreams = try value.int(in: 1...10_000) }
            if let value = map["sync_idle"] { c.limits.syncIdleMilliseconds = try positive(value) }
            c.limits.publishRate = try rate(map["publish_rate"], map["publish_burst"], default: c.limits.publishRate)
            if let value = map["sync_streams_per_identity"] { c.limits.syncStreamsPerIdentity = try value.int(in: 1...10_000) }
            if let value = map["sync_requests_per_minute"] { c.limits.syncRequestsPerMinute = try value.int(in: 1...1_000_000) }
        }
        if let node = top["security"] {
            let map = try node.mapping(allowedKeys: ["server_secret_key_file"])
            if let value = map["server_secret_key_file"] { c.serverSecretKeyFile = try value.string() }
        }
        if let node = top["identities"], !node.isNull {
            for entry in try node.array() {
                let map = try entry.mapping(allowedKeys: ["name", "role", "public_key", "publish", "publish_rate", "publish_burst"])
                let name = try entry.required("name", in: map).string()
                guard !name.isEmpty, name.utf8.count <= 32,
                      name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D })
                else { throw entry.error("name \"\(name)\" may contain only lower-case letters, digits, _ and -") }
                let role = Identity.Role(rawValue: try entry.required("role", in: map).oneOf(["agency", "coordinator"])) ?? .agency
                let keyNode = try entry.required("public_key", in: map)
                let key = try keyNode.string()
                guard key.utf8.count == 40 else { throw keyNode.error("is not a 40-character Z85 CURVE public key") }
                var identity = Identity(name: name, role: role, publicKey: key)
                if let node = map["publish"] {
                    var categories = Set<Ibm_V1_Category>()
                    for item in try node.array() {
                        let text = try item.oneOf(["all"] + Ibm_V1_Category.jsonNames)
                        if text == "all" {
                            categories.formUnion(Ibm_V1_Category.allCases.filter { $0.jsonName != nil })
                        } else if let category = Ibm_V1_Category(jsonName: text) {
                            categories.insert(category)
                        }
                    }
                    identity.publishCategories = categories
                }
                if map["publish_rate"] != nil || map["publish_burst"] != nil {
                    identity.publishRate = try rate(map["publish_rate"], map["publish_burst"], default: c.limits.publishRate)
                }
                c.identities.append(identity)
            }
        }
        return c
    }

    private static func endpoint(_ node: ConfigNode) throws(ConfigError) -> String {
        let text = try node.string()
        guard text.hasPrefix("tcp://") || text.hasPrefix("ipc://") || text.hasPrefix("inproc://") else {
            throw node.error("\"\(text)\" is not a ZeroMQ endpoint (tcp://HOST:PORT, ipc://PATH)")
        }
        return text
    }

    /// A token bucket from a rate (per second) and a burst; an absent key keeps the default.
    private static func rate(_ rateNode: ConfigNode?, _ burstNode: ConfigNode?, default base: RateLimit) throws(ConfigError)
        -> RateLimit
    {
        var limit = base
        if let rateNode { limit.perSecond = Double(try rateNode.int(in: 1...10_000_000)) }
        if let burstNode { limit.burst = Double(try burstNode.int(in: 1...100_000_000)) }
        return limit
    }

    private static func positive(_ node: ConfigNode) throws(ConfigError) -> Int64 {
        let value = try node.milliseconds()
        guard value > 0 else { throw node.error("must be longer than zero") }
        return value
    }
}
