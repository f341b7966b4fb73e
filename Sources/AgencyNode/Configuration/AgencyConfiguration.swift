import Foundation
import HubClient

/// Everything an agency daemon needs to run, read from `Config/<agency>.yaml`.
public struct AgencyConfiguration: Sendable {
    /// The agency's identity name (`border`, `migration`, `customs`): the origin of its alerts.
    public var agency: String
    public var profile: AgencyProfile
    public var httpHost = "127.0.0.1"
    public var httpPort: Int
    /// Largest request body `POST /v1/alerts` takes.
    public var maxBodyBytes = 16 << 20
    public var hub = HubAddress()
    public var dataDirectory: String
    public var insecure = false
    /// Folder holding `<agency>.key` and the hub's `<hubKeyName>.pub`.
    public var keyDirectory = ".dev/keys"
    public var hubKeyName = "hub"
    public var outbox = Outbox()
    public var inbox = Inbox()
    public var spool = Spool()

    public struct Outbox: Sendable {
        /// Alerts sent and not yet answered, at most.
        public var window = 1000
        /// An alert unanswered this long is sent again (the hub deduplicates).
        public var resendAfterMilliseconds: Int64 = 5000
        /// Rows read from the outbox at a time.
        public var pageSize = 500
        /// `fsync`: an answered intake survives a power cut; `os`: it survives a crash of the daemon.
        public var fsync = true
        /// Alerts stored in one intake transaction, at most.
        public var maxBatch = 5000
        /// Answered alerts are kept this long for `GET /v1/alerts/{id}`, then deleted.
        public var keepAnsweredMilliseconds: Int64 = 7 * 86_400_000
        /// The hub counts as unreachable when no reply came for this long.
        public var hubTimeoutMilliseconds: Int64 = 3000
    }

    public struct Inbox: Sendable {
        /// Picture events kept for `/v1/feed` resumption.
        public var maxEvents = 100_000
    }

    public struct Spool: Sendable {
        public var enabled = true
        public var scanEveryMilliseconds: Int64 = 1000
    }

    public init(agency: String, profile: AgencyProfile, httpPort: Int) {
        self.agency = agency
        self.profile = profile
        self.httpPort = httpPort
        dataDirectory = "data/" + agency
    }

    public var outboxPath: String { dataDirectory + "/outbox.sqlite" }
    public var inboxPath: String { dataDirectory + "/inbox.sqlite" }
    public var spoolDirectory: String { dataDirectory + "/spool" }

    /// How the daemon authenticates to the hub.
    public func clientSecurity() throws -> ClientSecurity {
        if insecure { return .insecure }
        return try ClientSecurity.fromKeyDirectory(keyDirectory, identity: agency, serverKeyName: hubKeyName)
    }
}
