import Foundation

/// A scalable Bloom filter over (origin, alert id) keys.
///
/// The hub asks it first on every publish: a "no" is certain, so a new alert
/// costs no journal lookup; a "maybe" is confirmed against the journal's unique
/// index. It grows by adding stages of doubling capacity and tighter error
/// rates (Almeida et al., 2007), so its memory is about 1.2 bytes per alert
/// instead of a dictionary's hundred. Hashing is FNV-1a, not Swift's seeded
/// `Hasher`, because the bits go into checkpoints and must mean the same after
/// a restart.
struct DedupFilter: Sendable, Equatable {
    struct Stage: Sendable, Equatable {
        var bits: [UInt64]
        var hashCount: Int
        var capacity: Int
        var count: Int

        init(capacity: Int, errorRate: Double) {
            let bitCount = max(64, Int((-Double(capacity) * log(errorRate) / (log(2.0) * log(2.0))).rounded(.up)))
            bits = Array(repeating: 0, count: (bitCount + 63) / 64)
            hashCount = max(1, Int((Double(bitCount) / Double(capacity) * log(2.0)).rounded()))
            self.capacity = capacity
            count = 0
        }

        init(bits: [UInt64], hashCount: Int, capacity: Int, count: Int) {
            self.bits = bits
            self.hashCount = hashCount
            self.capacity = capacity
            self.count = count
        }

        var bitCount: UInt64 { UInt64(bits.count) * 64 }

        func contains(_ hash: (UInt64, UInt64)) -> Bool {
            for probe in 0..<UInt64(hashCount) {
                let bit = (hash.0 &+ probe &* hash.1) % bitCount
                if bits[Int(bit / 64)] & (1 << (bit % 64)) == 0 { return false }
            }
            return true
        }

        mutating func insert(_ hash: (UInt64, UInt64)) {
            for probe in 0..<UInt64(hashCount) {
                let bit = (hash.0 &+ probe &* hash.1) % bitCount
                bits[Int(bit / 64)] |= 1 << (bit % 64)
            }
            count += 1
        }
    }

    private(set) var stages: [Stage]
    let initialCapacity: Int
    let errorRate: Double

    init(initialCapacity: Int = 1 << 20, errorRate: Double = 0.001) {
        self.initialCapacity = initialCapacity
        self.errorRate = errorRate
        stages = [Stage(capacity: initialCapacity, errorRate: errorRate / 2)]
    }

    /// Whether the key may have been inserted; false is certain.
    func mightContain(origin: String, alertID: String) -> Bool {
        let hash = Self.hash(origin: origin, alertID: alertID)
        return stages.contains { $0.contains(hash) }
    }

    mutating func insert(origin: String, alertID: String) {
        let hash = Self.hash(origin: origin, alertID: alertID)
        if let last = stages.last, last.count >= last.capacity {
            // Stage i gets error rate e/2^(i+1), so the total stays below e.
            let rate = errorRate / Double(1 << min(stages.count + 1, 40))
            stages.append(Stage(capacity: last.capacity * 2, errorRate: rate))
        }
        stages[stages.count - 1].insert(hash)
    }

    var count: Int { stages.reduce(0) { $0 + $1.count } }
    var memoryBytes: Int { stages.reduce(0) { $0 + $1.bits.count * 8 } }

    /// Two independent 64-bit hashes for double hashing (Kirsch and Mitzenmacher).
    static func hash(origin: String, alertID: String) -> (UInt64, UInt64) {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x8422_2325_cbf2_9ce4
        func mix(_ byte: UInt8) {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            second = (second ^ UInt64(byte)) &* 0x0000_0001_0000_01B3 &+ 0x9E37_79B9
        }
        for byte in origin.utf8 { mix(byte) }
        mix(0)
        for byte in alertID.utf8 { mix(byte) }
        return (first, second | 1)
    }

    // MARK: Checkpoint form

    func encode(into writer: inout BinaryWriter) {
        writer.write(UInt64(initialCapacity))
        writer.write(errorRate.bitPattern)
        writer.write(UInt32(stages.count))
        for stage in stages {
            writer.write(UInt32(stage.hashCount))
            writer.write(UInt64(stage.capacity))
            writer.write(UInt64(stage.count))
            writer.write(UInt64(stage.bits.count))
            for word in stage.bits { writer.write(word) }
        }
    }

    init(from reader: inout BinaryReader) throws(CheckpointError) {
        initialCapacity = Int(try reader.read(UInt64.self))
        errorRate = Double(bitPattern: try reader.read(UInt64.self))
        let stageCount = Int(try reader.read(UInt32.self))
        guard stageCount > 0, stageCount < 64 else { throw CheckpointError("dedup filter has \(stageCount) stages") }
        var stages: [Stage] = []
        for _ in 0..<stageCount {
            let hashCount = Int(try reader.read(UInt32.self))
            let capacity = Int(try reader.read(UInt64.self))
            let count = Int(try reader.read(UInt64.self))
            let words = Int(try reader.read(UInt64.self))
            guard words > 0, words <= reader.remaining / 8, hashCount > 0, hashCount < 64 else {
                throw CheckpointError("dedup filter stage is malformed")
            }
            let bits = try reader.readWords(words)
            stages.append(Stage(bits: bits, hashCount: hashCount, capacity: capacity, count: count))
        }
        self.stages = stages
    }
}

