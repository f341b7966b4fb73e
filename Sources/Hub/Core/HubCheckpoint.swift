import Correlation

/// The state the hub stores every N records so that start-up replays only the tail.
struct HubCheckpoint {
    static let magic: UInt32 = 0x4942_4D43  // "IBMC"
    static let version: UInt32 = 1

    var seq: UInt64
    var lastEventSeq: UInt64
    var correlatorState: [UInt8]
    var dedup: DedupFilter

    func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(seq)
        writer.write(lastEventSeq)
        writer.write(blob: correlatorState)
        dedup.encode(into: &writer)
        return writer.bytes
    }

    init(seq: UInt64, lastEventSeq: UInt64, correlatorState: [UInt8], dedup: DedupFilter) {
        self.seq = seq
        self.lastEventSeq = lastEventSeq
        self.correlatorState = correlatorState
        self.dedup = dedup
    }

    init(decoding bytes: [UInt8]) throws(CheckpointError) {
        var reader = BinaryReader(bytes)
        guard try reader.read(UInt32.self) == Self.magic else { throw CheckpointError("not a hub checkpoint") }
        let version = try reader.read(UInt32.self)
        guard version == Self.version else { throw CheckpointError("checkpoint version \(version) is not supported") }
        seq = try reader.read(UInt64.self)
        lastEventSeq = try reader.read(UInt64.self)
        correlatorState = try reader.readBlob()
        dedup = try DedupFilter(from: &reader)
    }
}
