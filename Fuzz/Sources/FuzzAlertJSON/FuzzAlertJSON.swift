// Fuzz target: the JSON alert codec on untrusted bytes, as an agency's POST /v1/alerts
// and `ibmctl publish` run it: JSONParser, then AlertJSON.decodeOneOrMany.
import FuzzSupport
import IBMProtocol

private let codec = AlertJSON()
private let parser = JSONParser(maxDepth: 17, maxBytes: 16 << 20)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAlertJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    if let value = try? parser.parse(bytes) {
        // What the writer makes of a parsed value parses back to the same value.
        let written = JSONWriter.bytes(value)
        do {
            let again = try parser.parse(written)
            invariant(again == value, "JSON write/parse changed the value: \(String(decoding: written, as: UTF8.self))")
        } catch {
            invariant(false, "JSONWriter wrote unparsable JSON (\(error)): \(String(decoding: written, as: UTF8.self))")
        }
    }
    do {
        let alerts = try codec.decodeOneOrMany(bytes)
        for alert in alerts {
            invariant((try? codec.validator.validate(alert)) != nil, "a decoded alert breaks a rule")
            checkValidAlertRoundTrips(alert)
        }
    } catch {
        invariant(!error.issues.isEmpty, "a refusal without a reason")
    }
    return 0
}

@_cdecl("FuzzAlertJSON_main")
public func fuzzAlertJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzAlertJSON)
}
