import IBMProtocol

/// CAP 1.2 input and output, when the CAP module is part of the build.
enum CAPSupport {
    static func codecs(agency: String) -> (CAPDecoder?, (@Sendable (Ibm_V1_Alert) -> String)?) {
        (nil, nil)
    }
}
