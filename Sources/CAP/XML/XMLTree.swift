/// One element of a parsed document: its namespace-resolved name, children and text.
///
/// CAP elements hold either text or child elements, never both, so the text of an
/// element is kept as one string (all its character data, concatenated).
struct XMLElement: Sendable {
    /// The namespace URI the element's prefix (or the default namespace) is bound to; "" when none.
    var namespace: String
    var localName: String
    /// The name as written, with its prefix, for error messages.
    var qualifiedName: String
    var children: [XMLElement] = []
    var text: String = ""
    /// Where the start tag begins, 1-based.
    var line: Int
    var column: Int
}

/// Bounds on what the parser accepts; every one names a way hostile input could exhaust memory or time.
struct XMLLimits: Sendable {
    var maxBytes = 1 << 20
    var maxDepth = 24
    var maxElements = 20_000
    var maxAttributesPerElement = 32
    var maxNameBytes = 256
}

/// Why a document was refused, with the place in the input.
struct XMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var reason: String

    var description: String { "line \(line), column \(column): \(reason)" }
}
