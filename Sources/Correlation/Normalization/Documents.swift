/// Document numbers, weapon serials, vessel numbers and consignment references.
///
/// Agencies copy them by hand or from different systems, so case, spacing and
/// separators vary; the letters and digits do not.
public enum IdentifierNormalizer {
    /// A travel or identity document number: letters and digits only, upper case,
    /// digits as ASCII. Nil for placeholders without a digit (`N/A`, `unknown`).
    public static func document(_ raw: String) -> String? {
        significant(TextFolding.alphanumeric(raw))
    }

    /// A weapon serial number, normalised like a document number.
    public static func serial(_ raw: String) -> String? {
        significant(TextFolding.alphanumeric(raw))
    }

    /// A container number, air waybill or customs declaration reference.
    public static func consignment(_ raw: String) -> String? {
        significant(TextFolding.alphanumeric(raw))
    }

    /// A Maritime Mobile Service Identity: exactly nine digits, not all the same
    /// (`000000000` and the like are what transponders send when unset).
    public static func mmsi(_ raw: String) -> String? {
        let digits = digitsOnly(raw)
        guard digits.count == 9, Set(digits).count > 1 else { return nil }
        return digits
    }

    /// An IMO ship number: seven digits, with or without the `IMO` prefix.
    public static func imo(_ raw: String) -> String? {
        let text = TextFolding.alphanumeric(raw)
        let body = text.hasPrefix("IMO") ? String(text.dropFirst(3)) : text
        guard body.count == 7, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber), Set(body).count > 1 else { return nil }
        return body
    }

    /// An ISO alpha-2 nationality or country, from alpha-2, alpha-3 or a regional Arabic name.
    public static func country(_ raw: String) -> String? {
        Countries.code(raw)
    }

    private static func digitsOnly(_ raw: String) -> String {
        String(String.UnicodeScalarView(TextFolding.classify(raw).compactMap { item in
            guard let (kind, scalar) = item, kind == .digit else { return nil }
            return scalar
        }))
    }

    /// Two characters or more with at least one digit: anything less identifies nothing.
    private static func significant(_ text: String) -> String? {
        guard text.count >= 2, text.unicodeScalars.contains(where: { $0.value >= 0x30 && $0.value <= 0x39 }) else { return nil }
        return text
    }
}
