import Foundation
import IBMProtocol

/// Reads alerts from a file or stdin, one JSON value at a time: a single object, a
/// JSON array of objects, JSON lines, or objects one after another (pretty-printed or not).
///
/// Memory stays bounded by the largest single alert, whatever the file's size.
final class AlertInput {
    /// One alert's JSON text and where it starts.
    struct Item {
        var bytes: [UInt8]
        var line: Int
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    /// Largest accepted value; the hub's own limit on an alert is far smaller.
    static let maxValueBytes = 1 << 20

    private let file: InputFile
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var chunkCount = 0
    private var position = 0
    private var endOfInput = false

    // Scanner state.
    private var line = 1
    private var depth = 0
    private var insideTopArray = false
    private var inString = false
    private var escaped = false
    private var value: [UInt8] = []
    private var valueLine = 0
    private var collecting = false

    /// Opens `path`; `-` is standard input.
    init(path: String) throws(CtlError) {
        file = try InputFile(path: path)
    }

    /// The next top-level value (or element of a top-level array); nil at the end.
    func next() throws(SyntaxError) -> Item? {
        while true {
            if position == chunkCount {
                if endOfInput { break }
                try fill()
                continue
            }
            let byte = chunk[position]
            position += 1
            if byte == 0x0A { line += 1 }
            if collecting {
                value.append(byte)
                guard value.count <= Self.maxValueBytes else {
                    throw SyntaxError(line: valueLine, reason: "a value is larger than \(Self.maxValueBytes) bytes")
                }
            }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            let base = insideTopArray ? 1 : 0
            switch byte {
            case UInt8(ascii: "\""):
                guard collecting else { throw SyntaxError(line: line, reason: "expected an alert object, found a string") }
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 0, !insideTopArray, byte == UInt8(ascii: "[") {
                    insideTopArray = true
                    depth = 1
                    continue
                }
                if depth == base, !collecting {
                    collecting = true
                    value = [byte]
                    valueLine = line
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw SyntaxError(line: line, reason: "unbalanced '\(Unicode.Scalar(byte))'") }
                depth -= 1
                if insideTopArray, depth == 0 {
                    insideTopArray = false
                    continue
                }
                if depth == base, collecting {
                    collecting = false
                    defer { value = [] }
                    return Item(bytes: value, line: valueLine)
                }
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: ","):
                guard collecting || insideTopArray else {
                    throw SyntaxError(line: line, reason: "unexpected ',' between alerts")
                }
            default:
                guard collecting else {
                    throw SyntaxError(line: line, reason: "expected an alert object, found '\(Unicode.Scalar(byte))'")
                }
            }
        }
        if collecting || depth > 0 || inString {
            throw SyntaxError(line: collecting ? valueLine : line, reason: "the input ends inside a JSON value")
        }
        return nil
    }

    private func fill() throws(SyntaxError) {
        position = 0
        chunkCount = 0
        let count: Int
        do {
            count = try file.read(into: &chunk)
        } catch {
            throw SyntaxError(line: line, reason: error.reason)
        }
        if count == 0 { endOfInput = true }
        chunkCount = count
    }
}
