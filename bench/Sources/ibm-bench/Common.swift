import CZeroMQ
import Foundation
import ZeroMQ

/// A fatal usage or setup problem: printed, then the process exits 2.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--name value` options after the subcommand.
struct Options {
    private var values: [String: String] = [:]
    private(set) var positional: [String] = []

    init(_ arguments: ArraySlice<String>) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument.hasPrefix("--") {
                guard let value = iterator.next() else { throw BenchError("\(argument) needs a value") }
                values[String(argument.dropFirst(2))] = value
            } else {
                positional.append(argument)
            }
        }
    }

    func string(_ name: String) throws -> String {
        guard let value = values[name] else { throw BenchError("missing --\(name)") }
        return value
    }

    func string(_ name: String, default value: String) -> String { values[name] ?? value }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text) else { throw BenchError("--\(name) \(text) is not an integer") }
        return number
    }

    func optional(_ name: String) -> String? { values[name] }
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a
/// timestamp written by a publisher can be subtracted from a subscriber's clock.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The placeholder that `prepare` puts in each alert's description; publishers overwrite
/// its 20 digits with the send time, subscribers read it back.
let timestampMarker = Array("bench-ts:".utf8)
let timestampDigits = 20

/// Writes `value` as 20 decimal digits at `offset`.
@inline(__always)
func patchTimestamp(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
    var rest = value
    for i in stride(from: offset + timestampDigits - 1, through: offset, by: -1) {
        bytes[i] = 0x30 + UInt8(rest % 10)
        rest /= 10
    }
}

/// Offset of the first byte after `needle` in `haystack`, if present.
func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    let first = needle[0]
    var index = 0
    let last = haystack.count - needle.count
    while index <= last {
        if haystack[index] == first {
            var matched = 1
            while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
            if matched == needle.count { return index + needle.count }
        }
        index += 1
    }
    return nil
}

/// Reads the 20-digit timestamp after the marker, if any.
func readTimestamp(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
    guard let at = find(timestampMarker, in: bytes), at + timestampDigits <= bytes.count else { return nil }
    var value: UInt64 = 0
    for i in at..<(at + timestampDigits) {
        let digit = bytes[i] &- 0x30
        guard digit < 10 else { return nil }
        value = value * 10 + UInt64(digit)
    }
    return value
}

/// The trailing decimal number of an alert id (`bor-b00000123` → 123): the generator's global index.
func trailingNumber(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var value = 0
    var scale = 1
    var index = bytes.count - 1
    while index >= 0, bytes[index] >= 0x30, bytes[index] <= 0x39 {
        value += Int(bytes[index] - 0x30) * scale
        scale *= 10
        index -= 1
    }
    return index == bytes.count - 1 ? nil : value
}

// MARK: - Frames files: what `prepare` writes and every load client reads.

/// One agency's encoded `IngestRequest`s: a file of u32 little-endian length + bytes.
struct FramesFile {
    var frames: [[UInt8]] = []
    /// Offset of the 20 timestamp digits in each frame.
    var timestampOffsets: [Int] = []

    init(path: String, limit: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            var index = 0
            while index + 4 <= raw.count, frames.count < limit {
                let length = Int(raw.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian)
                index += 4
                guard index + length <= raw.count else { throw BenchError("\(path): truncated frame") }
                let frame = UnsafeRawBufferPointer(rebasing: raw[index..<(index + length)])
                guard let at = find(timestampMarker, in: frame) else { throw BenchError("\(path): frame without marker") }
                frames.append(Array(frame))
                timestampOffsets.append(at)
                index += length
            }
        }
    }
}

/// Appends raw latency samples (u64 little-endian nanoseconds) to a file, for `hist`.
struct SampleWriter {
    private var samples: [UInt64] = []
    let path: String?

    init(path: String?, capacity: Int) {
        self.path = path
        if path != nil { samples.reserveCapacity(capacity) }
    }

    @inline(__always)
    mutating func record(_ nanoseconds: UInt64) {
        if path != nil { samples.append(nanoseconds) }
    }

    func write() throws {
        guard let path else { return }
        let data = samples.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw BenchError("cannot write \(path)") }
    }
}

/// Applies CURVE to a client socket from `DIR/NAME.key` and `DIR/SERVER.pub`.
func applyCurveClient(_ socket: Socket, keys: String, identity: String, server: String) throws {
    func read(_ file: String) throws -> String {
        guard let text = try? String(contentsOfFile: keys + "/" + file, encoding: .utf8) else {
            throw BenchError("cannot read \(keys)/\(file)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let client = try CurveKeyPair(z85SecretKey: try read(identity + ".key"))
    try socket.makeCurveClient(serverPublicKey: try Z85.decode(try read(server + ".pub")), clientKeyPair: client)
}

/// Makes a socket a CURVE server with `DIR/NAME.key`.
func applyCurveServer(_ socket: Socket, keys: String, name: String) throws {
    guard let text = try? String(contentsOfFile: keys + "/" + name + ".key", encoding: .utf8) else {
        throw BenchError("cannot read \(keys)/\(name).key")
    }
    try socket.makeCurveServer(secretKey: try CurveKeyPair(z85SecretKey: text.trimmingCharacters(in: .whitespacesAndNewlines)).secretKey)
}

/// One line that run.py parses: `RESULT key=value ...`.
func printResult(_ fields: KeyValuePairs<String, CustomStringConvertible>) {
    print("RESULT " + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    fflush(nil)
}
