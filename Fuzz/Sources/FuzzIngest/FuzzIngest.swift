// Fuzz target: one ingest frame through the hub's path (HubCore.handle/publish in
// --insecure mode, where the origin comes from the payload): frame shape,
// IngestRequest decode, AlertValidator, journal encoding, the reference check and
// correlation.
import Correlation
import Foundation
import FuzzSupport
import IBMProtocol
import SwiftProtobuf

private let validator = AlertValidator()

/// A correlator holding the seed alerts, so inputs can join, update and merge
/// incidents; each input starts from a copy of it, so runs are reproducible.
private let seeded: (correlator: Correlator, nextSeq: UInt64) = {
    let rules = (try? CorrelationRules.load(path: repositoryFile("Config/correlation.yaml"))) ?? .default
    var correlator = Correlator(rules: rules)
    var seq: UInt64 = 1
    let json = AlertJSON()
    let lines = (try? String(contentsOfFile: repositoryFile("Fuzz/Corpus/preload.jsonl"), encoding: .utf8)) ?? ""
    for line in lines.split(separator: "\n") {
        guard let alert = try? json.decode(String(line)) else { continue }
        seq = correlator.apply(alert, seq: seq).changes.reduce(seq + 1) { next, _ in next + 1 }
    }
    // Printed once, so a run shows what the inputs were correlated against.
    FileHandle.standardError.write(Data(
        "FuzzIngest: correlator seeded to seq \(seq - 1), \(correlator.openIncidentCount) open incidents\n".utf8))
    return (correlator, seq)
}()

private func repositoryFile(_ path: String) -> String {
    // #filePath is …/Fuzz/Sources/FuzzIngest/FuzzIngest.swift
    let parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    return parts.dropLast(4).joined(separator: "/") + "/" + path
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIngest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let payload = fuzzInput(data, size)
    guard let routed = RoutedRequest(frames: [[0x00, 0x6B, 0x8B, 0x45, 0x67], payload]) else {
        invariant(false, "a two-frame message with a routing id was refused")
        return 0
    }
    let request: Ibm_V1_IngestRequest
    do {
        request = try RequestDecoding.ingestRequest(routed.payload)
    } catch {
        _ = "not a valid IngestRequest: \(error)"
        return 0
    }
    guard case let .publish(alert) = request.body else { return 0 }
    do {
        try validator.validate(alert)
    } catch {
        // The nack reason names every broken rule.
        invariant(!error.issues.isEmpty && !error.description.isEmpty, "a refusal without a reason")
        return 0
    }
    checkValidAlertRoundTrips(alert)
    // The hub refuses an update or cancel of an alert its origin never published
    // (HubCore.knows: dedup and journal); here the seeded correlator stands in for both.
    for reference in alert.references where seeded.correlator.incidentID(origin: alert.origin, alertID: reference) == nil {
        return 0
    }
    var correlator = seeded.correlator
    let result = correlator.apply(alert, seq: seeded.nextSeq)
    invariant(!result.incidentID.isEmpty, "an accepted alert was given no incident")
    for change in result.changes {
        invariant((try? change.incident.serializedBytes() as [UInt8]) != nil, "an incident cannot be encoded")
    }
    invariant(correlator.incidentID(origin: alert.origin, alertID: alert.id) != nil || alert.msgType == .cancel,
              "the correlator forgot the alert it just took")
    return 0
}

@_cdecl("FuzzIngest_main")
public func fuzzIngestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzIngest)
}
