// Fuzz target: CAP 1.2 XML import on untrusted bytes, as an agency daemon runs it
// (CAPImport with the agency's own origin), then the export/import round trip.
import CAP
import FuzzSupport
import IBMProtocol

private let validator = AlertValidator()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCAP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let alerts: [Ibm_V1_Alert]
    do {
        alerts = try CAPImport.alerts(fromXML: bytes, origin: "customs")
    } catch {
        invariant(!error.issues.isEmpty && !error.description.isEmpty, "a refusal without a reason")
        return 0
    }
    invariant(!alerts.isEmpty && alerts.count <= CAPImport.maxInfoBlocks, "\(alerts.count) alerts from one document")
    for alert in alerts {
        invariant((try? validator.validate(alert)) != nil, "an imported alert breaks a rule")
        checkValidAlertRoundTrips(alert)
        // CAP times are whole seconds, so exporting and importing again gives the alert back.
        let xml = CAPExport.xml(for: alert, sender: alert.origin)
        do {
            let again = try CAPImport.alerts(fromXML: Array(xml.utf8), origin: "customs")
            invariant(again == [alert], "CAP export/import changed the alert: \(xml)")
        } catch {
            invariant(false, "the CAP export of an imported alert is refused: \(error)\n\(xml)")
        }
    }
    return 0
}

@_cdecl("FuzzCAP_main")
public func fuzzCAPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzCAP)
}
