import SwiftProtobuf

/// A sync request the hub refuses before touching the journal: the code and reason to send back.
public struct SyncRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Ibm_V1_SyncErrorCode
    public let reason: String

    public init(_ code: Ibm_V1_SyncErrorCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}

/// A replay request whose bounds are known to be representable.
public struct CheckedReplay: Sendable, Equatable {
    public var fromSeq: UInt64
    /// 0: up to the high seq at the time of the request.
    public var untilSeq: UInt64
    public var sinceMilliseconds: Int64?
    public var untilMilliseconds: Int64?
    public var includeAlerts: Bool
    public var filter: Ibm_V1_Filter
    public var credit: Int
}

/// What a valid sync request asks for.
public enum CheckedSyncRequest: Sendable, Equatable {
    case snapshot(filter: Ibm_V1_Filter, credit: Int)
    case replay(CheckedReplay)
    case credit(chunks: Int)
    case cancel
}

/// Bounds on a sync request's fields, so a request costs the hub little whatever its sender.
public struct SyncRequestValidator: Sendable {
    public var alertLimits: AlertLimits
    /// Entries in each repeated filter field.
    public var maxFilterEntries = 64
    /// Chunks granted at once; a client asking more gets this many.
    public var maxCredit = 1024
    public var defaultCredit = 16
    /// Timestamps RFC 3339 can write: 0001-01-01 to 9999-12-31.
    public static let timestampRange: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    public init(alertLimits: AlertLimits = .default) {
        self.alertLimits = alertLimits
    }

    public func check(_ request: Ibm_V1_SyncRequest) throws(SyncRequestError) -> CheckedSyncRequest {
        switch request.body {
        case let .snapshot(snapshot):
            try check(snapshot.filter, field: "snapshot.filter")
            return .snapshot(filter: snapshot.filter, credit: credit(snapshot.credit))
        case let .replay(replay):
            try check(replay.filter, field: "replay.filter")
            return .replay(CheckedReplay(
                fromSeq: replay.fromSeq, untilSeq: replay.untilSeq,
                sinceMilliseconds: replay.hasSince ? try milliseconds(replay.since, field: "replay.since") : nil,
                untilMilliseconds: replay.hasUntil ? try milliseconds(replay.until, field: "replay.until") : nil,
                includeAlerts: replay.includeAlerts, filter: replay.filter, credit: credit(replay.credit)))
        case let .credit(credit):
            return .credit(chunks: min(Int(credit.chunks), maxCredit))
        case .cancel:
            return .cancel
        case nil:
            throw SyncRequestError(.malformed, "SyncRequest has no body")
        }
    }

    private func credit(_ asked: UInt32) -> Int {
        asked == 0 ? defaultCredit : min(Int(asked), maxCredit)
    }

    private func milliseconds(_ stamp: Google_Protobuf_Timestamp, field: String) throws(SyncRequestError) -> Int64 {
        guard Self.timestampRange.contains(stamp.seconds), (0..<1_000_000_000).contains(stamp.nanos) else {
            throw SyncRequestError(.invalid, "\(field): seconds \(stamp.seconds), nanos \(stamp.nanos) is not a time"
                + " between 0001-01-01 and 9999-12-31")
        }
        return stamp.unixMilliseconds
    }

    private func check(_ filter: Ibm_V1_Filter, field: String) throws(SyncRequestError) {
        for (name, count) in [("categories", filter.categories.count), ("origins", filter.origins.count),
                              ("sectors", filter.sectors.count)] where count > maxFilterEntries {
            throw SyncRequestError(.invalid, "\(field).\(name) has \(count) entries, more than the limit of \(maxFilterEntries)")
        }
        if let position = filter.categories.firstIndex(where: { $0.jsonName == nil }) {
            throw SyncRequestError(.invalid, "\(field).categories[\(position)] is not a known category; one of "
                + Ibm_V1_Category.jsonNames.joined(separator: ", "))
        }
        for (name, values, limit) in [("origins", filter.origins, alertLimits.maxOriginBytes),
                                      ("sectors", filter.sectors, alertLimits.maxFieldBytes),
                                      ("incident_id", [filter.incidentID], alertLimits.maxIDBytes)] {
            if let position = values.firstIndex(where: { $0.utf8.count > limit }) {
                let label = name == "incident_id" ? "\(field).\(name)" : "\(field).\(name)[\(position)]"
                throw SyncRequestError(.invalid, "\(label) is \(values[position].utf8.count) bytes, longer than the limit of \(limit)")
            }
        }
    }
}
