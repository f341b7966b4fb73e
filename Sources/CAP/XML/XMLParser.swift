/// A small, strict XML 1.0 parser with namespaces, written for CAP from untrusted systems.
///
/// It is a pure function of the input bytes and keeps no state between calls, so it can be
/// fuzzed directly. It refuses what CAP never needs and attackers use: any DOCTYPE or other
/// markup declaration (so no internal or external entities, no XXE, no billion laughs),
/// entity references other than the five predefined ones, encodings other than UTF-8, and
/// documents beyond `XMLLimits`. Nesting is walked with an explicit stack, never recursion.
struct XMLParser: Sendable {
    var limits: XMLLimits

    init(limits: XMLLimits = XMLLimits()) {
        self.limits = limits
    }

    /// The root element of the document in `bytes`.
    func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        guard bytes.count <= limits.maxBytes else {
            throw XMLSyntaxError(line: 1, column: 1, reason: "the document is \(bytes.count) bytes, more than the limit of \(limits.maxBytes)")
        }
        var input = bytes
        if input.starts(with: [0xEF, 0xBB, 0xBF]) { input.removeFirst(3) }
        if input.starts(with: [0xFE, 0xFF]) || input.starts(with: [0xFF, 0xFE]) {
            throw XMLSyntaxError(line: 1, column: 1, reason: "the document is UTF-16; only UTF-8 is accepted")
        }
        try Self.checkCharacters(input)
        var scanner = XMLScanner(bytes: Self.normalizingLineEnds(input), limits: limits)
        return try scanner.document()
    }

    /// Refuses invalid UTF-8 and the characters XML 1.0 forbids (controls other than tab and line ends).
    static func checkCharacters(_ bytes: [UInt8]) throws(XMLSyntaxError) {
        var index = 0
        func fail(_ reason: String) -> XMLSyntaxError {
            let (line, column) = XMLScanner.position(of: index, in: bytes)
            return XMLSyntaxError(line: line, column: column, reason: reason)
        }
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                if lead < 0x20, lead != 0x09, lead != 0x0A, lead != 0x0D {
                    throw fail("the control character U+\(hex(UInt32(lead))) is not allowed in XML")
                }
                index += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: (length, scalar) = (2, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, scalar) = (3, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, scalar) = (4, UInt32(lead & 0x07))
            default: throw fail("the input is not valid UTF-8")
            }
            guard index + length <= bytes.count else { throw fail("the input is not valid UTF-8") }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { throw fail("the input is not valid UTF-8") }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                throw fail("the input is not valid UTF-8")
            }
            if scalar == 0xFFFE || scalar == 0xFFFF {
                throw fail("the character U+\(hex(scalar)) is not allowed in XML")
            }
            index += length
        }
    }

    /// XML 1.0 §2.11: CR LF and lone CR become LF before parsing.
    static func normalizingLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x0D) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D {
                out.append(0x0A)
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                out.append(bytes[index])
            }
            index += 1
        }
        return out
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
}

/// The parsing state over one document.
private struct XMLScanner {
    let bytes: [UInt8]
    let limits: XMLLimits
    var index = 0
    var elementCount = 0
    /// Line and column at `cursor`, advanced as elements start, so locating each one costs only the bytes since the last.
    var cursor = (offset: 0, line: 1, column: 1)

    /// Namespace bindings in scope, innermost last; `scopes` marks where each open element's begin.
    var bindings: [(prefix: String, uri: String)] = [("xml", "http://www.w3.org/XML/1998/namespace")]

    init(bytes: [UInt8], limits: XMLLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for position in 0..<min(offset, bytes.count) where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        let column = bytes[lineStart..<min(offset, bytes.count)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return (line, column)
    }

    /// Line and column of `offset`, which must not be before the last offset asked for.
    mutating func location(of offset: Int) -> (line: Int, column: Int) {
        guard offset >= cursor.offset else { return Self.position(of: offset, in: bytes) }
        for position in cursor.offset..<offset {
            let byte = bytes[position]
            if byte == 0x0A {
                cursor.line += 1
                cursor.column = 1
            } else if byte & 0xC0 != 0x80 {
                cursor.column += 1
            }
        }
        cursor.offset = offset
        return (cursor.line, cursor.column)
    }

    func error(_ reason: String, at offset: Int? = nil) -> XMLSyntaxError {
        let (line, column) = Self.position(of: offset ?? index, in: bytes)
        return XMLSyntaxError(line: line, column: column, reason: reason)
    }

    // MARK: Low-level scanning

    var atEnd: Bool { index >= bytes.count }

    func peek(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { buffer in
            for offset in 0..<count where bytes[index + offset] != buffer[offset] { return false }
            return true
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A }

    mutating func skipSpace() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    /// Moves past the next `terminator`, or fails naming the construct left open.
    mutating func skip(past terminator: StaticString, what: String) throws(XMLSyntaxError) -> Range<Int> {
        let start = index
        while index < bytes.count {
            if peek(terminator) {
                let range = start..<index
                index += terminator.utf8CodeUnitCount
                return range
            }
            index += 1
        }
        throw error("\(what) is never closed", at: start)
    }

    static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A || byte >= 0x80
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
    }

    mutating func name(_ what: String) throws(XMLSyntaxError) -> String {
        let start = index
        guard index < bytes.count, Self.isNameStart(bytes[index]) else {
            throw error(atEnd ? "the document ends where \(what) was expected" : "expected \(what), found \(shown(index))")
        }
        while index < bytes.count, Self.isNameByte(bytes[index]) { index += 1 }
        guard index - start <= limits.maxNameBytes else {
            throw error("a name is longer than \(limits.maxNameBytes) bytes", at: start)
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    func shown(_ offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the document" }
        let byte = bytes[offset]
        return byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    // MARK: Document structure

    mutating func document() throws(XMLSyntaxError) -> XMLElement {
        if peek("<?xml"), index + 5 < bytes.count, Self.isSpace(bytes[index + 5]) {
            try declaration()
        }
        try miscellany(before: true)
        guard !atEnd else { throw error("the document has no root element") }
        let root = try element()
        try miscellany(before: false)
        guard atEnd else { throw error("only comments may follow the root element, found \(shown(index))") }
        return root
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="…"?>`: only version 1.0 and UTF-8.
    mutating func declaration() throws(XMLSyntaxError) {
        let start = index
        index += 5
        let body = try skip(past: "?>", what: "the XML declaration")
        let text = String(decoding: bytes[body], as: UTF8.self)
        let pairs = Self.pseudoAttributes(text)
        guard let version = pairs["version"] else { throw error("the XML declaration has no version", at: start) }
        guard version == "1.0" else { throw error("XML version \(version) is not accepted; only 1.0", at: start) }
        if let encoding = pairs["encoding"], encoding.lowercased() != "utf-8" {
            throw error("the encoding \(encoding.prefix(40)) is not accepted; only UTF-8", at: start)
        }
    }

    static func pseudoAttributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(text)
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].trimmedXMLSpace
            var after = rest[rest.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard let quote = after.first, quote == "\"" || quote == "'" else { break }
            after = after.dropFirst()
            guard let close = after.firstIndex(of: quote) else { break }
            result[String(key)] = String(after[..<close])
            rest = after[after.index(after: close)...]
        }
        return result
    }

    /// Comments, processing instructions and white space around the root element.
    mutating func miscellany(before: Bool) throws(XMLSyntaxError) {
        while true {
            skipSpace()
            if peek("<!--") {
                try comment()
            } else if peek("<?") {
                try processingInstruction()
            } else if peek("<!") {
                throw declarationRefused()
            } else {
                return
            }
        }
    }

    mutating func comment() throws(XMLSyntaxError) {
        index += 4
        _ = try skip(past: "-->", what: "a comment")
    }

    mutating func processingInstruction() throws(XMLSyntaxError) {
        let start = index
        index += 2
        let target = try name("a processing instruction target")
        if target.lowercased() == "xml" {
            throw error("the XML declaration is only allowed at the very start of the document", at: start)
        }
        _ = try skip(past: "?>", what: "a processing instruction")
    }

    func declarationRefused() -> XMLSyntaxError {
        let rest = bytes[index..<min(index + 10, bytes.count)]
        let keyword = String(decoding: rest.prefix(while: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x5B }), as: UTF8.self)
        return error("\(keyword) is refused: CAP needs no DTD, and documents with markup declarations (DOCTYPE, ENTITY) are not accepted")
    }

    // MARK: Elements

    /// One open element on the explicit stack.
    struct Open {
        var element: XMLElement
        var text: [UInt8] = []
        var bindingCount: Int
    }

    /// The element starting at `<`, with everything inside it.
    mutating func element() throws(XMLSyntaxError) -> XMLElement {
        var stack: [Open] = []
        var (first, empty) = try startTag(depth: 1)
        if empty { return first.element }
        stack.append(first)
        while true {
            guard index < bytes.count else {
                throw error("the document ends inside <\(stack[stack.count - 1].element.qualifiedName)>")
            }
            let byte = bytes[index]
            if byte == 0x3C {  // <
                if peek("</") {
                    let start = index
                    index += 2
                    let closing = try name("an element name")
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3E else { throw error("expected '>' to end </\(closing)>") }
                    index += 1
                    var open = stack.removeLast()
                    guard closing == open.element.qualifiedName else {
                        throw error("</\(closing)> does not close <\(open.element.qualifiedName)> (line \(open.element.line))", at: start)
                    }
                    open.element.text = String(decoding: open.text, as: UTF8.self)
                    bindings.removeLast(bindings.count - open.bindingCount)
                    guard !stack.isEmpty else { return open.element }
                    stack[stack.count - 1].element.children.append(open.element)
                } else if peek("<!--") {
                    try comment()
                } else if peek("<![CDATA[") {
                    index += 9
                    let range = try skip(past: "]]>", what: "a CDATA section")
                    stack[stack.count - 1].text += bytes[range]
                } else if peek("<?") {
                    try processingInstruction()
                } else if peek("<!") {
                    throw declarationRefused()
                } else {
                    (first, empty) = try startTag(depth: stack.count + 1)
                    if empty {
                        stack[stack.count - 1].element.children.append(first.element)
                    } else {
                        stack.append(first)
                    }
                }
            } else if byte == 0x26 {  // &
                try reference(into: &stack[stack.count - 1].text)
            } else {
                let start = index
                while index < bytes.count, bytes[index] != 0x3C, bytes[index] != 0x26 {
                    if bytes[index] == 0x3E, index >= 2, bytes[index - 1] == 0x5D, bytes[index - 2] == 0x5D {
                        throw error("']]>' is not allowed in text")
                    }
                    index += 1
                }
                stack[stack.count - 1].text += bytes[start..<index]
            }
        }
    }

    /// Reads `<name attributes…>` or `<name …/>`; binds its namespace declarations.
    mutating func startTag(depth: Int) throws(XMLSyntaxError) -> (Open, empty: Bool) {
        let start = index
        guard depth <= limits.maxDepth else {
            throw error("elements are nested more than \(limits.maxDepth) deep")
        }
        elementCount += 1
        guard elementCount <= limits.maxElements else {
            throw error("the document has more than \(limits.maxElements) elements")
        }
        index += 1
        let qualifiedName = try name("an element name")
        let bindingCount = bindings.count
        var attributeNames: Set<String> = []
        var empty = false
        while true {
            let beforeSpace = index
            skipSpace()
            guard index < bytes.count else { throw error("the document ends inside the start tag of <\(qualifiedName)>") }
            if bytes[index] == 0x3E {
                index += 1
                break
            }
            if peek("/>") {
                index += 2
                empty = true
                break
            }
            guard index > beforeSpace else { throw error("expected white space, '>' or '/>' in <\(qualifiedName)>, found \(shown(index))") }
            let attributeStart = index
            let attribute = try name("an attribute name")
            guard attributeNames.insert(attribute).inserted else {
                throw error("the attribute \(attribute) appears twice in <\(qualifiedName)>", at: attributeStart)
            }
            guard attributeNames.count <= limits.maxAttributesPerElement else {
                throw error("<\(qualifiedName)> has more than \(limits.maxAttributesPerElement) attributes", at: attributeStart)
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x3D else { throw error("expected '=' after the attribute \(attribute)") }
            index += 1
            skipSpace()
            let value = try attributeValue()
            if attribute == "xmlns" {
                bindings.append(("", value))
            } else if attribute.hasPrefix("xmlns:") {
                let prefix = String(attribute.dropFirst(6))
                guard !value.isEmpty else { throw error("the namespace prefix \(prefix) cannot be bound to an empty name", at: attributeStart) }
                guard prefix != "xmlns", prefix != "xml" else { throw error("the prefix \(prefix) cannot be redeclared", at: attributeStart) }
                bindings.append((prefix, value))
            }
            // Other attributes carry nothing CAP defines (xsi:schemaLocation and the like); they are checked, not kept.
        }
        let (prefix, local) = Self.split(qualifiedName)
        guard let namespace = resolve(prefix) else {
            throw error("the namespace prefix \(prefix) of <\(qualifiedName)> is not declared", at: start)
        }
        let (line, column) = location(of: start)
        let element = XMLElement(namespace: namespace, localName: local, qualifiedName: qualifiedName, line: line, column: column)
        if empty { bindings.removeLast(bindings.count - bindingCount) }
        return (Open(element: element, bindingCount: bindingCount), empty)
    }

    static func split(_ name: String) -> (prefix: String, local: String) {
        guard let colon = name.firstIndex(of: ":") else { return ("", name) }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    func resolve(_ prefix: String) -> String? {
        for binding in bindings.reversed() where binding.prefix == prefix { return binding.uri }
        return prefix.isEmpty ? "" : nil
    }

    mutating func attributeValue() throws(XMLSyntaxError) -> String {
        guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
            throw error("an attribute value must be quoted")
        }
        let quote = bytes[index]
        index += 1
        var value: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("the document ends inside an attribute value") }
            let byte = bytes[index]
            if byte == quote {
                index += 1
                return String(decoding: value, as: UTF8.self)
            }
            if byte == 0x3C { throw error("'<' is not allowed in an attribute value") }
            if byte == 0x26 {
                try reference(into: &value)
            } else {
                // Attribute-value normalisation (XML 1.0 §3.3.3): white space becomes a space.
                value.append(byte == 0x09 || byte == 0x0A ? 0x20 : byte)
                index += 1
            }
        }
    }

    /// `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` and character references; nothing else.
    mutating func reference(into out: inout [UInt8]) throws(XMLSyntaxError) {
        let start = index
        index += 1
        var end = index
        while end < bytes.count, end - index < 12, bytes[end] != 0x3B, Self.isNameByte(bytes[end]) || bytes[end] == 0x23 { end += 1 }
        guard end < bytes.count, bytes[end] == 0x3B, end > index else {
            throw error("'&' must begin an entity or character reference ending in ';' (write &amp; for '&')", at: start)
        }
        let body = String(decoding: bytes[index..<end], as: UTF8.self)
        index = end + 1
        switch body {
        case "lt": out.append(0x3C)
        case "gt": out.append(0x3E)
        case "amp": out.append(0x26)
        case "apos": out.append(0x27)
        case "quot": out.append(0x22)
        default:
            guard body.hasPrefix("#") else {
                throw error("the entity reference &\(body); is refused: only &lt; &gt; &amp; &apos; &quot; and character references are allowed (no DTD entities)", at: start)
            }
            let digits = body.dropFirst()
            let value: UInt32? = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value), Self.isXMLChar(value) else {
                throw error("&\(body); is not a character XML allows", at: start)
            }
            out += Array(String(Character(scalar)).utf8)
        }
    }

    static func isXMLChar(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }
}

extension StringProtocol {
    /// Without leading and trailing XML white space (space, tab, line feed).
    var trimmedXMLSpace: String {
        let scalars = String(self).unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
