/// A checkpoint that cannot be read; the hub then rebuilds from the whole journal.
struct CheckpointError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Little-endian fixed-width writer for the hub's checkpoint blob.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(blob: [UInt8]) {
        write(UInt64(blob.count))
        bytes.append(contentsOf: blob)
    }
}

struct BinaryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(CheckpointError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw CheckpointError("checkpoint is truncated") }
        var value: T = 0
        for index in 0..<size { value |= T(bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    /// `count` little-endian words in one pass (a dedup filter holds ~10^5-10^6 of them).
    mutating func readWords(_ count: Int) throws(CheckpointError) -> [UInt64] {
        guard count >= 0, count <= remaining / 8 else { throw CheckpointError("checkpoint is truncated") }
        let start = offset
        offset += count * 8
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + $0 * 8, as: UInt64.self)) }
        }
    }

    mutating func readBlob() throws(CheckpointError) -> [UInt8] {
        let count = Int(clamping: try read(UInt64.self))
        guard count <= remaining else { throw CheckpointError("checkpoint is truncated") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
