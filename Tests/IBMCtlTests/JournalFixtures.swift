import Foundation
import IBMProtocol
import Journal
import Logging
import SwiftProtobuf

/// Journals written with `JournalWriter` directly, as the hub writes them.
enum JournalFixtures {
    static let logger: Logger = {
        var logger = Logger(label: "ibmctl-tests")
        logger.logLevel = .error
        return logger
    }()

    /// `count` alternating alert and event records, `spacing` ms apart on the recorded_at clock.
    @discardableResult
    static func write(to path: String, count: Int, startMilliseconds: Int64 = 1_795_000_000_000, spacing: Int64 = 100)
        throws -> [UInt8]
    {
        let writer = try JournalWriter(path: path, durability: .os, logger: logger)
        defer { writer.close() }
        var records: [JournalRecord] = []
        for index in 0..<count {
            let seq = UInt64(index + 1)
            let recordedAt = startMilliseconds + Int64(index) * spacing
            records.append(index % 2 == 0
                ? try alertRecord(seq: seq, recordedAt: recordedAt, number: index / 2)
                : try eventRecord(seq: seq, recordedAt: recordedAt, number: index / 2))
        }
        try writer.append(records)
        return writer.headHash
    }

    /// Only picture events, one per incident.
    static func writeEvents(to path: String, count: Int, spacing: Int64 = 10) throws {
        let writer = try JournalWriter(path: path, durability: .os, logger: logger)
        defer { writer.close() }
        try writer.append((0..<count).map { index in
            try eventRecord(seq: UInt64(index + 1), recordedAt: 1_795_000_000_000 + Int64(index) * spacing, number: index)
        })
    }

    static func alert(_ number: Int) throws -> Ibm_V1_Alert {
        try AlertJSON().decode(SampleAlerts.alert(number, observedAt: "2026-11-21T08:10:00Z"))
    }

    static func alertRecord(seq: UInt64, recordedAt: Int64, number: Int) throws -> JournalRecord {
        let alert = try alert(number)
        return JournalRecord(
            seq: seq, kind: .alert, recordedAt: recordedAt, observedAt: alert.observedAt.unixMilliseconds,
            origin: alert.origin, alertID: alert.id, category: alert.category.jsonName ?? "",
            incidentID: "INC-\(number)", msgType: "alert", sector: alert.location.sector,
            body: try alert.serializedBytes())
    }

    static func eventRecord(seq: UInt64, recordedAt: Int64, number: Int) throws -> JournalRecord {
        let alert = try alert(number)
        var event = Ibm_V1_PictureEvent()
        event.seq = seq
        event.kind = .opened
        event.alert = alert
        event.rule = "opened"
        event.recordedAt = Google_Protobuf_Timestamp(unixMilliseconds: recordedAt)
        event.incident.id = "INC-\(number)"
        event.incident.status = .open
        event.incident.category = alert.category
        event.incident.highestSeverity = alert.severity
        event.incident.corroboration = 1
        event.incident.headline = alert.headline
        event.incident.location = alert.location
        event.incident.openedSeq = seq
        event.incident.updatedSeq = seq
        var contribution = Ibm_V1_Contribution()
        contribution.alertID = alert.id
        contribution.origin = alert.origin
        contribution.rule = "opened"
        contribution.seq = seq - 1
        event.incident.contributions = [contribution]
        return JournalRecord(
            seq: seq, kind: .event, recordedAt: recordedAt, observedAt: alert.observedAt.unixMilliseconds,
            origin: alert.origin, alertID: alert.id, category: alert.category.jsonName ?? "",
            incidentID: event.incident.id, msgType: "opened", sector: alert.location.sector,
            body: try event.serializedBytes())
    }
}
