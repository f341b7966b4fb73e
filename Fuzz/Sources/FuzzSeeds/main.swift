// Writes the seed corpora of the frame targets from the real alerts in
// Corpus/FuzzAlertJSON, encoded with the generated protobuf types, and their CAP
// exports next to the CAP test samples in Corpus/FuzzCAP.
// Run by scripts/fuzz.sh --seeds (a plain build: no sanitizer, it has a main).
import CAP
import Foundation
import IBMProtocol
import SwiftProtobuf

let corpus = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Corpus"
let fileManager = FileManager.default
let codec = AlertJSON()

func write(_ target: String, _ name: String, _ message: some SwiftProtobuf.Message) throws {
    let directory = "\(corpus)/\(target)"
    try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let bytes: [UInt8] = try message.serializedBytes()
    try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name).bin"))
}

func publish(_ alert: Ibm_V1_Alert) -> Ibm_V1_IngestRequest {
    var request = Ibm_V1_IngestRequest()
    request.publish = alert
    return request
}

// MARK: Ingest: each real alert as a publish frame, a heartbeat, and hostile variants of a real alert.

let names = try fileManager.contentsOfDirectory(atPath: "\(corpus)/FuzzAlertJSON").filter { $0.hasPrefix("alert-") }.sorted()
var alerts: [Ibm_V1_Alert] = []
for name in names {
    let text = try String(contentsOfFile: "\(corpus)/FuzzAlertJSON/\(name)", encoding: .utf8)
    let alert = try codec.decode(text)
    alerts.append(alert)
    try write("FuzzIngest", "publish-" + name.replacingOccurrences(of: ".json", with: ""), publish(alert))
}
var heartbeat = Ibm_V1_IngestRequest()
heartbeat.heartbeat = Ibm_V1_Heartbeat()
try write("FuzzIngest", "heartbeat", heartbeat)

let base = alerts.first { $0.subjects.count >= 2 } ?? alerts[0]
var year9999 = base
year9999.observedAt = Google_Protobuf_Timestamp(seconds: 253_402_300_799, nanos: 999_000_000)
try write("FuzzIngest", "hostile-year-9999", publish(year9999))
var nul = base
nul.headline += "\u{0}hidden"
try write("FuzzIngest", "hostile-nul-in-headline", publish(nul))
var manySubjects = base
manySubjects.subjects = Array(repeating: base.subjects[0], count: 100)
try write("FuzzIngest", "hostile-100-subjects", publish(manySubjects))
var selfReference = base
selfReference.msgType = .update
selfReference.references = [base.id]
try write("FuzzIngest", "hostile-self-reference", publish(selfReference))

// MARK: Sync: each request kind, with and without filters and time bounds.

func sync(_ id: UInt64, _ body: Ibm_V1_SyncRequest.OneOf_Body?) -> Ibm_V1_SyncRequest {
    var request = Ibm_V1_SyncRequest()
    request.requestID = id
    request.body = body
    return request
}

var filter = Ibm_V1_Filter()
filter.categories = [.smugglingGoods, .migrantSmuggling]
filter.origins = ["customs", "border"]
filter.sectors = [base.location.sector]
var incidentFilter = Ibm_V1_Filter()
incidentFilter.incidentID = "inc-000001"

var snapshot = Ibm_V1_SnapshotRequest()
try write("FuzzSync", "snapshot-all", sync(1, .snapshot(snapshot)))
snapshot.filter = filter
snapshot.credit = 4
try write("FuzzSync", "snapshot-filtered", sync(2, .snapshot(snapshot)))

var replay = Ibm_V1_ReplayRequest()
replay.fromSeq = 1
try write("FuzzSync", "replay-from-1", sync(3, .replay(replay)))
replay.since = base.observedAt
replay.until = Google_Protobuf_Timestamp(seconds: base.observedAt.seconds + 86_400)
replay.filter = filter
replay.includeAlerts = true
replay.credit = 64
try write("FuzzSync", "replay-window-filtered", sync(4, .replay(replay)))
var replaySeqs = Ibm_V1_ReplayRequest()
replaySeqs.fromSeq = 100
replaySeqs.untilSeq = 200
replaySeqs.filter = incidentFilter
try write("FuzzSync", "replay-seq-range-incident", sync(5, .replay(replaySeqs)))
var far = Ibm_V1_ReplayRequest()
far.since = year9999.observedAt
try write("FuzzSync", "replay-since-9999", sync(6, .replay(far)))

var credit = Ibm_V1_Credit()
credit.chunks = 16
try write("FuzzSync", "credit", sync(4, .credit(credit)))
try write("FuzzSync", "cancel", sync(4, .cancel(Ibm_V1_Cancel())))
try write("FuzzSync", "no-body", sync(7, nil))
// MARK: CAP: the real alerts as CAP documents (one in three, to keep the corpus small).

for (position, alert) in alerts.enumerated() where position % 3 == 0 {
    let xml = CAPExport.xml(for: alert, sender: alert.origin)
    try fileManager.createDirectory(atPath: "\(corpus)/FuzzCAP", withIntermediateDirectories: true)
    try Data(xml.utf8).write(to: URL(fileURLWithPath: "\(corpus)/FuzzCAP/export-alert-\(position).xml"))
}
print("seeds written to \(corpus)/FuzzIngest, \(corpus)/FuzzSync and \(corpus)/FuzzCAP")
