import Foundation
import IBMProtocol
import SwiftProtobuf

/// `prepare --alerts DIR --out DIR [--size 400]`: encodes each `DIR/<agency>.jsonl` (from
/// generate-alerts.py) once into `OUT/<agency>.frames`, the `IngestRequest` bytes every
/// load client sends, with a timestamp placeholder in the description.
func prepare(_ options: Options) throws {
    let input = try options.string("alerts")
    let output = try options.string("out")
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    let codec = AlertJSON()
    let size = try options.int("size", default: 400)
    let filler = String(repeating: "Patrol report relayed by the sector operations room; details to follow. ", count: 20)
    let placeholder = String(decoding: timestampMarker, as: UTF8.self) + String(repeating: "0", count: timestampDigits)
    for agency in ["border", "migration", "customs"] {
        let path = "\(input)/\(agency).jsonl"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw BenchError("cannot read \(path)") }
        var out: [UInt8] = []
        var count = 0
        for (number, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            var alert: Ibm_V1_Alert
            do { alert = try codec.decode(String(line)) } catch {
                throw BenchError("\(path):\(number + 1): \(error)")
            }
            // TLP red reaches only the identities named in recipients: lower it to amber+strict,
            // which every coordinator receives too, so that one coordinator subscriber sees every alert.
            if alert.tlp == .red { alert.tlp = .amberStrict }
            alert.description_p = placeholder
            var request = Ibm_V1_IngestRequest()
            request.publish = alert
            var bytes: [UInt8] = try request.serializedBytes()
            // Pad the description so that every alert is about `size` bytes on the wire.
            if bytes.count + 2 < size {
                let padding = String(filler.prefix(size - bytes.count - 2))
                request.publish.description_p = placeholder + " " + padding
                bytes = try request.serializedBytes()
            }
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: bytes)
            count += 1
        }
        guard FileManager.default.createFile(atPath: "\(output)/\(agency).frames", contents: Data(out)) else {
            throw BenchError("cannot write \(output)/\(agency).frames")
        }
        print("prepared \(count) \(agency) alerts, \((out.count - 4 * count) / max(count, 1)) bytes each on average")
    }
}
