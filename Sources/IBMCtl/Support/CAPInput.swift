import CAP
import Foundation

/// Reads CAP 1.2 documents from a file or stdin, one at a time: a single document, or several one
/// after another, each starting with its `<?xml` declaration at the start of a line (as
/// `ibmctl replay --format cap` prints them, one per line).
///
/// Memory stays bounded by the largest single document, whatever the file's size.
final class CAPInput {
    /// One document's bytes and the line it starts on.
    typealias Item = AlertInput.Item
    typealias SyntaxError = AlertInput.SyntaxError

    private static let declaration = Array("<?xml".utf8)

    private let file: InputFile
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var buffer: [UInt8] = []
    /// Where the search for the next document's start resumes.
    private var scanned = 1
    private var line = 1
    private var endOfInput = false

    init(path: String) throws(CtlError) {
        file = try InputFile(path: path)
    }

    /// The next document; nil at the end.
    func next() throws(SyntaxError) -> Item? {
        while true {
            if let cut = nextStart() {
                return take(cut)
            }
            if endOfInput {
                guard buffer.contains(where: { !Self.isSpace($0) }) else { return nil }
                return take(buffer.count)
            }
            // The import refuses larger documents anyway; stop reading before holding more.
            guard buffer.count <= CAPImport.maxBytes + 1024 else {
                throw SyntaxError(line: line, reason: "a CAP document is larger than \(CAPImport.maxBytes) bytes")
            }
            try fill()
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The offset of a declaration that starts a line after the first document's start.
    private func nextStart() -> Int? {
        let width = Self.declaration.count
        var position = max(scanned, 1)
        while position + width <= buffer.count {
            if buffer[position - 1] == 0x0A, buffer[position] == 0x3C,
               buffer[position..<(position + width)].elementsEqual(Self.declaration),
               buffer[..<position].contains(where: { !Self.isSpace($0) }) {
                return position
            }
            position += 1
        }
        scanned = max(1, buffer.count - width + 1)
        return nil
    }

    private func take(_ count: Int) -> Item {
        let document = Array(buffer[..<count])
        buffer.removeFirst(count)
        scanned = 1
        // The document starts at its first non-blank line.
        var start = line
        for byte in document {
            if byte == 0x0A { start += 1 } else if !Self.isSpace(byte) { break }
        }
        line += document.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return Item(bytes: document, line: start)
    }

    private func fill() throws(SyntaxError) {
        let count: Int
        do {
            count = try file.read(into: &chunk)
        } catch {
            throw SyntaxError(line: line, reason: error.reason)
        }
        if count == 0 { endOfInput = true }
        buffer += chunk[..<count]
    }
}
