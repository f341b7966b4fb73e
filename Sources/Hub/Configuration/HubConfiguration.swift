import IBMProtocol
import Journal

/// Everything the hub needs to start; `Config/hub.yaml` documents each key.
public struct HubConfiguration: Sendable {
    public struct Endpoints: Sendable {
        public var ingest = "tcp://*:7701"
        public var feed = "tcp://*:7702"
        public var sync = "tcp://*:7703"
        /// Host and port of the HTTP server (`/healthz`, `/metrics`).
        public var httpHost = "127.0.0.1"
        public var httpPort = 7780
    }

    public struct JournalSettings: Sendable {
        public var durability: Durability = .fsync
        /// A checkpoint of the picture and dedup state every this many records.
        public var checkpointEvery: UInt64 = 100_000
        /// Upper bound on records per group commit.
        public var maxBatchRecords = 8192
    }

    public struct Limits: Sendable {
        /// ZMQ_MAXMSGSIZE on every hub socket; larger messages drop the connection.
        public var maxMessageBytes = 256 * 1024
        /// Send high-water mark of the feed, per subscriber; past it that subscriber
        /// misses events (and recovers them through sync), the hub never waits or grows.
        public var feedSendHWM = 100_000
        /// Receive high-water mark of ingest and sync, per peer.
        public var receiveHWM = 10_000
        /// Records per sync chunk.
        public var syncChunkRecords = 512
        /// Concurrent sync streams in all.
        public var maxSyncStreams = 64
        /// A sync stream that gets no credit for this long is dropped.
        public var syncIdleMilliseconds: Int64 = 60_000
        /// Token bucket of each identity's publishes: refill per second, and depth.
        public var publishRate = RateLimit(perSecond: 5000, burst: 50_000)
        /// Sync streams one identity may run at once.
        public var syncStreamsPerIdentity = 8
        /// Sync requests (snapshot or replay) one identity may start per minute.
        public var syncRequestsPerMinute = 600
    }

    /// A token bucket: `burst` tokens, refilled at `perSecond`.
    public struct RateLimit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public struct Identity: Sendable, Equatable {
        public enum Role: String, Sendable { case agency, coordinator }
        public var name: String
        public var role: Role
        /// Z85 CURVE public key (40 characters).
        public var publicKey: String
        /// Categories it may publish; nil: every category for an agency, none for a coordinator.
        public var publishCategories: Set<Ibm_V1_Category>?
        /// Its own publish rate limit, instead of `limits.publish_rate`/`publish_burst`.
        public var publishRate: RateLimit?

        public init(name: String, role: Role, publicKey: String, publishCategories: Set<Ibm_V1_Category>? = nil,
                    publishRate: RateLimit? = nil) {
            self.name = name
            self.role = role
            self.publicKey = publicKey
            self.publishCategories = publishCategories
            self.publishRate = publishRate
        }

        /// Whether it may publish alerts of `category`.
        public func mayPublish(_ category: Ibm_V1_Category) -> Bool {
            if let publishCategories { return publishCategories.contains(category) }
            return role == .agency
        }
    }

    public var endpoints = Endpoints()
    /// Folder of the journal database.
    public var dataDirectory = "data/hub"
    public var journal = JournalSettings()
    /// Duplicates are recognised for at least this long; retention never deletes younger records.
    public var dedupHorizonMilliseconds: Int64 = 7 * 86_400_000
    public var retention = RetentionPolicy(maxAgeMilliseconds: 90 * 86_400_000, maxRecords: nil, maxBytes: nil)
    /// How often retention runs.
    public var retentionEveryMilliseconds: Int64 = 3_600_000
    /// How often idle incidents are closed.
    public var expireEveryMilliseconds: Int64 = 60_000
    /// Interval of feed heartbeats.
    public var heartbeatMilliseconds: Int64 = 1000
    /// Path of the correlation rules; nil uses the built-in defaults.
    public var correlationRulesPath: String?
    public var limits = Limits()
    /// Z85 secret key file of the hub's CURVE server key.
    public var serverSecretKeyFile: String?
    public var identities: [Identity] = []
    /// Plain text, no authentication: loopback development only.
    public var insecure = false
    /// The file it was loaded from; SIGHUP reloads the identities from it.
    public var path: String?

    public init() {}

    /// Path of the journal database inside the data folder.
    public var journalPath: String { dataDirectory + "/journal.sqlite" }
}
