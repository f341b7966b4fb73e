import IBMProtocol
import YAMLConfig

extension AgencyConfiguration {
    /// Loads `path`; a bad key fails with the file, line and key path. `agency`, when given
    /// (by the daemon binary), must match the file's `agency:`.
    public static func load(path: String, agency: String? = nil, dataDirectory: String? = nil, insecure: Bool = false)
        throws -> AgencyConfiguration
    {
        let root = try ConfigNode.load(path: path)
        var configuration = try parse(root)
        if let agency, agency != configuration.agency {
            throw AgencyError.configuration(
                "\(path): agency is \"\(configuration.agency)\", but this is the \(agency) daemon (use Config/\(agency).yaml)")
        }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if insecure { configuration.insecure = true }
        try configuration.validate()
        return configuration
    }

    /// Checks what one key alone cannot.
    public func validate() throws {
        if insecure, !["127.0.0.1", "localhost", "::1"].contains(hub.host) {
            throw AgencyError.configuration("--insecure is for loopback only, but hub.host is \(hub.host)")
        }
    }

    public static func parse(_ root: ConfigNode) throws(ConfigError) -> AgencyConfiguration {
        let top = try root.mapping(allowedKeys: ["agency", "http", "hub", "data_dir", "security", "outbox", "inbox", "spool", "profile"])
        let agencyNode = try root.required("agency", in: top)
        let agency = try agencyNode.string()
        guard !agency.isEmpty, agency.utf8.count <= 32,
              agency.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D })
        else { throw agencyNode.error("\"\(agency)\" may contain only lower-case letters, digits, _ and -") }
        let profile = try parseProfile(try root.required("profile", in: top))
        let httpNode = try root.required("http", in: top)
        let http = try httpNode.mapping(allowedKeys: ["listen", "max_body_bytes"])
        let listenNode = try httpNode.required("listen", in: http)
        let (host, port) = try hostPort(listenNode)
        var c = AgencyConfiguration(agency: agency, profile: profile, httpPort: port)
        c.httpHost = host
        if let value = http["max_body_bytes"] { c.maxBodyBytes = try value.int(in: 1024...(1 << 30)) }
        if let node = top["hub"] {
            let map = try node.mapping(allowedKeys: ["host", "ingest_port", "feed_port", "sync_port"])
            if let value = map["host"] { c.hub.host = try value.string() }
            if let value = map["ingest_port"] { c.hub.ingestPort = try value.int(in: 1...65535) }
            if let value = map["feed_port"] { c.hub.feedPort = try value.int(in: 1...65535) }
            if let value = map["sync_port"] { c.hub.syncPort = try value.int(in: 1...65535) }
        }
        if let value = top["data_dir"] { c.dataDirectory = try value.string() }
        if let node = top["security"] {
            let map = try node.mapping(allowedKeys: ["key_dir", "hub_key"])
            if let value = map["key_dir"] { c.keyDirectory = try value.string() }
            if let value = map["hub_key"] { c.hubKeyName = try value.string() }
        }
        if let node = top["outbox"] {
            let map = try node.mapping(allowedKeys: [
                "window", "resend_after", "page_size", "durability", "max_batch", "keep_answered", "hub_timeout",
            ])
            if let value = map["window"] { c.outbox.window = try value.int(in: 1...100_000) }
            if let value = map["resend_after"] { c.outbox.resendAfterMilliseconds = try positive(value) }
            if let value = map["page_size"] { c.outbox.pageSize = try value.int(in: 1...100_000) }
            if let value = map["durability"] { c.outbox.fsync = try value.oneOf(["fsync", "os"]) == "fsync" }
            if let value = map["max_batch"] { c.outbox.maxBatch = try value.int(in: 1...1_000_000) }
            if let value = map["keep_answered"] { c.outbox.keepAnsweredMilliseconds = try positive(value) }
            if let value = map["hub_timeout"] { c.outbox.hubTimeoutMilliseconds = try positive(value) }
        }
        if let node = top["inbox"] {
            let map = try node.mapping(allowedKeys: ["max_events"])
            if let value = map["max_events"] { c.inbox.maxEvents = try value.int(in: 100...100_000_000) }
        }
        if let node = top["spool"] {
            let map = try node.mapping(allowedKeys: ["enabled", "scan_every"])
            if let value = map["enabled"] { c.spool.enabled = try value.bool() }
            if let value = map["scan_every"] { c.spool.scanEveryMilliseconds = try positive(value) }
        }
        return c
    }

    static func parseProfile(_ node: ConfigNode) throws(ConfigError) -> AgencyProfile {
        let map = try node.mapping(allowedKeys: [
            "id_prefix", "require_id_prefix", "reports", "restrict_reports", "receives", "subject_rules",
        ])
        let prefixNode = try node.required("id_prefix", in: map)
        let prefix = try prefixNode.string()
        guard !prefix.isEmpty, prefix.utf8.count <= 16,
              prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:".contains($0)) })
        else { throw prefixNode.error("\"\(prefix)\" must be 1-16 letters, digits, . _ - or :") }
        var profile = AgencyProfile(idPrefix: prefix)
        if let value = map["require_id_prefix"] { profile.requireIDPrefix = try value.bool() }
        if let value = map["restrict_reports"] { profile.restrictReports = try value.bool() }
        if let value = map["reports"] { profile.reports = try categories(value) }
        if let value = map["receives"] { profile.receives = try categories(value) }
        if let node = map["subject_rules"], !node.isNull {
            for entry in try node.array() {
                let rule = try entry.mapping(allowedKeys: ["kind", "require_one_of", "msg_types"])
                let kindNode = try entry.required("kind", in: rule)
                let kind = try kindNode.oneOf(AgencyProfile.subjectFields.keys.sorted())
                let fields = AgencyProfile.subjectFields[kind] ?? []
                let choicesNode = try entry.required("require_one_of", in: rule)
                var choices: [[String]] = []
                for choice in try choicesNode.array() {
                    let names = try choice.strings()
                    if names.isEmpty { throw choice.error("lists no field") }
                    for name in names where !fields.contains(name) {
                        throw choice.error("\"\(name)\" is not a field of a \(kind); expected \(fields.sorted().joined(separator: ", "))")
                    }
                    choices.append(names)
                }
                if choices.isEmpty { throw choicesNode.error("lists no alternative") }
                var subjectRule = AgencyProfile.SubjectRule(kind: kind, requireOneOf: choices)
                if let value = rule["msg_types"] {
                    subjectRule.msgTypes = []
                    for element in try value.array() {
                        let name = try element.oneOf(Ibm_V1_MsgType.jsonNames)
                        if let type = Ibm_V1_MsgType(jsonName: name) { subjectRule.msgTypes.append(type) }
                    }
                }
                profile.subjectRules.append(subjectRule)
            }
        }
        return profile
    }

    private static func categories(_ node: ConfigNode) throws(ConfigError) -> [Ibm_V1_Category] {
        var result: [Ibm_V1_Category] = []
        for element in try node.array() {
            let name = try element.oneOf(Ibm_V1_Category.jsonNames)
            if let category = Ibm_V1_Category(jsonName: name) { result.append(category) }
        }
        return result
    }

    private static func hostPort(_ node: ConfigNode) throws(ConfigError) -> (String, Int) {
        let text = try node.string()
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { throw node.error("\"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:7781)") }
        return (String(text[..<colon]), port)
    }

    private static func positive(_ node: ConfigNode) throws(ConfigError) -> Int64 {
        let value = try node.milliseconds()
        guard value > 0 else { throw node.error("must be longer than zero") }
        return value
    }
}
