/// What a journal record holds: an accepted alert or a picture event.
///
/// Stored in the `kind` column as 1 or 2.
public enum RecordKind: UInt8, Sendable, CaseIterable {
    /// An accepted `Alert` (protobuf bytes in `body`).
    case alert = 1
    /// A `PictureEvent` (protobuf bytes in `body`).
    case event = 2
}

/// One row of the journal.
///
/// The journal does not interpret `body`; the hub fills the indexed columns.
public struct JournalRecord: Sendable, Equatable {
    /// Journal sequence number: contiguous, starting at 1.
    public var seq: UInt64
    /// Alert or picture event.
    public var kind: RecordKind
    /// Hub clock when the record was accepted, unix ms.
    public var recordedAt: Int64
    /// The alert's `observed_at`, unix ms (event: the triggering alert's, or `recordedAt`).
    public var observedAt: Int64
    /// Authenticated origin (agency identity); "" when not applicable.
    public var origin: String
    /// The alert id (for an event: the alert that changed the incident); "" when none.
    public var alertID: String
    /// Threat category; "" when none.
    public var category: String
    /// Incident id; "" when none.
    public var incidentID: String
    /// Message type (e.g. alert/update/cancel, or incident_opened); "" when none.
    public var msgType: String
    /// Sector or region; "" when none.
    public var sector: String
    /// Protobuf bytes (an `Alert` or a `PictureEvent`).
    public var body: [UInt8]
    /// SHA-256 chain hash, set by the writer on append (ignored on input).
    public var hash: [UInt8]

    /// Creates a record; `hash` is normally left empty and computed by ``JournalWriter/append(_:)``.
    public init(
        seq: UInt64,
        kind: RecordKind,
        recordedAt: Int64,
        observedAt: Int64,
        origin: String = "",
        alertID: String = "",
        category: String = "",
        incidentID: String = "",
        msgType: String = "",
        sector: String = "",
        body: [UInt8],
        hash: [UInt8] = []
    ) {
        self.seq = seq
        self.kind = kind
        self.recordedAt = recordedAt
        self.observedAt = observedAt
        self.origin = origin
        self.alertID = alertID
        self.category = category
        self.incidentID = incidentID
        self.msgType = msgType
        self.sector = sector
        self.body = body
        self.hash = hash
    }
}

/// How hard a commit pushes data to disk.
public enum Durability: String, Sendable, CaseIterable {
    /// `PRAGMA synchronous=FULL`: every append is fsynced before it returns;
    /// an acknowledged record survives power loss.
    case fsync
    /// `PRAGMA synchronous=NORMAL` (WAL): syncing is left to the OS and to WAL
    /// checkpoints; survives a process crash, but the last commits may be lost on power loss.
    case os
}

/// Narrows a ``JournalReader/scan(from:through:filter:chunkSize:_:)``; evaluated in SQL.
///
/// Empty arrays and `nil` mean "no restriction". Array criteria match any of their values.
public struct RecordFilter: Sendable, Equatable {
    /// Only these kinds (`nil`: all).
    public var kinds: Set<RecordKind>?
    /// Only these origins.
    public var origins: [String]
    /// Only these categories.
    public var categories: [String]
    /// Only these sectors.
    public var sectors: [String]
    /// Only this incident (uses the incident index).
    public var incidentID: String?
    /// Only records with `recordedAt >= recordedFrom` (unix ms, inclusive).
    public var recordedFrom: Int64?
    /// Only records with `recordedAt < recordedUntil` (unix ms, exclusive).
    public var recordedUntil: Int64?

    /// A filter; every parameter defaults to "no restriction".
    public init(
        kinds: Set<RecordKind>? = nil,
        origins: [String] = [],
        categories: [String] = [],
        sectors: [String] = [],
        incidentID: String? = nil,
        recordedFrom: Int64? = nil,
        recordedUntil: Int64? = nil
    ) {
        self.kinds = kinds
        self.origins = origins
        self.categories = categories
        self.sectors = sectors
        self.incidentID = incidentID
        self.recordedFrom = recordedFrom
        self.recordedUntil = recordedUntil
    }

    /// Matches every record.
    public static let all = RecordFilter()
}
