import CAP
import IBMProtocol

/// CAP 1.2 input and output of this agency (mapping in Protocols/CAP.md).
enum CAPSupport {
    /// CAP XML → alerts stamped with the agency's origin; CAP problems as validation issues named by element path.
    static func decoder(agency: String) -> CAPDecoder {
        { bytes throws(AlertValidationError) in
            do throws(CAPError) {
                return try CAPImport.alerts(fromXML: bytes, origin: agency)
            } catch {
                throw AlertValidationError(issues: error.validationIssues)
            }
        }
    }

    static func exporter(agency: String) -> @Sendable (Ibm_V1_Alert) -> String {
        { CAPExport.xml(for: $0, sender: agency) }
    }
}
