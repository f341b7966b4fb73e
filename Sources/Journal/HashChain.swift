import Crypto

/// The journal's hash chain: `hash(n) = SHA-256(hash(n-1) ‖ canonicalBytes(record n))`.
///
/// `hash(0)` is the journal's genesis value: 32 random bytes drawn when the journal
/// is created, stored hex-encoded in `meta` under `genesis_hash`. After retention the
/// chain restarts from `meta.deleted_through_hash` (the hash of the last deleted record).
public enum HashChain {
    /// Length of every chain hash, in bytes (SHA-256).
    public static let hashLength = 32

    /// The canonical, language-neutral encoding of a record (every column except `hash`).
    ///
    /// Version 1, all integers big-endian, no padding, no separators:
    /// ```
    /// u64  seq
    /// u8   kind            (1 = alert, 2 = picture event)
    /// i64  recorded_at     (unix ms, two's complement)
    /// i64  observed_at     (unix ms, two's complement)
    /// str  origin
    /// str  alert_id
    /// str  category
    /// str  incident_id
    /// str  msg_type
    /// str  sector
    /// u32  length of body, then body bytes
    /// ```
    /// where `str` is `u32 length in bytes` followed by the UTF-8 bytes (no terminator,
    /// no normalisation; "" is encoded as 00 00 00 00).
    /// Example: seq 1, alert, times 0 and 0, all strings empty, body [0xAB] →
    /// `00..01 | 01 | 00×8 | 00×8 | 00 00 00 00 ×6 | 00 00 00 01 AB` (54 bytes).
    public static func canonicalBytes(_ record: JournalRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.encode(record)
        return encoder.bytes
    }

    /// `SHA-256(previous ‖ canonicalBytes(record))`: the chain hash of `record`.
    public static func hash(previous: [UInt8], record: JournalRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.encode(record)
        return encoder.chainHash(previous: previous)
    }

    /// 32 random bytes for a new journal's `hash(0)`.
    static func randomGenesis() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<hashLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Builds canonical bytes into a reused buffer (no allocation per record once warmed up).
struct CanonicalEncoder {
    /// The encoded record.
    private(set) var bytes: [UInt8]
    /// Byte ranges in `bytes` of the six strings then the body (payload only, without the length prefix).
    private(set) var fieldRanges: [Range<Int>]

    init() {
        bytes = []
        bytes.reserveCapacity(1024)
        fieldRanges = []
        fieldRanges.reserveCapacity(7)
    }

    /// Byte count of the fixed part plus the seven length prefixes: 8+1+8+8 + 7×4.
    static let fixedLength = 53

    /// Starts a record: seq, kind, recorded_at, observed_at.
    mutating func begin(seq: UInt64, kind: UInt8, recordedAt: Int64, observedAt: Int64) {
        bytes.removeAll(keepingCapacity: true)
        fieldRanges.removeAll(keepingCapacity: true)
        appendBigEndian(seq)
        bytes.append(kind)
        appendBigEndian(UInt64(bitPattern: recordedAt))
        appendBigEndian(UInt64(bitPattern: observedAt))
    }

    /// Appends a length-prefixed string (UTF-8).
    mutating func field(_ string: String) {
        var string = string
        string.withUTF8 { field(UnsafeRawBufferPointer($0)) }
    }

    /// Appends length-prefixed raw bytes.
    mutating func field(_ raw: UnsafeRawBufferPointer) {
        appendBigEndian(UInt32(truncatingIfNeeded: raw.count))
        let start = bytes.count
        bytes.append(contentsOf: raw)
        fieldRanges.append(start..<bytes.count)
    }

    /// Encodes a whole record.
    mutating func encode(_ record: JournalRecord) {
        begin(seq: record.seq, kind: record.kind.rawValue, recordedAt: record.recordedAt, observedAt: record.observedAt)
        field(record.origin)
        field(record.alertID)
        field(record.category)
        field(record.incidentID)
        field(record.msgType)
        field(record.sector)
        record.body.withUnsafeBytes { field($0) }
    }

    /// `SHA-256(previous ‖ bytes)`.
    func chainHash(previous: [UInt8]) -> [UInt8] {
        var chain = previous
        advance(&chain)
        return chain
    }

    /// Replaces `chain` (the previous hash) with `SHA-256(chain ‖ bytes)`, in place.
    func advance(_ chain: inout [UInt8]) {
        var hasher = SHA256()
        chain.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        if chain.count != HashChain.hashLength {
            chain = [UInt8](repeating: 0, count: HashChain.hashLength)
        }
        chain.withUnsafeMutableBytes { target in
            digest.withUnsafeBytes { target.copyMemory(from: $0) }
        }
    }

    /// True when `SHA-256(previous ‖ bytes)` equals `expected`.
    func chainHash(previous: [UInt8], equals expected: UnsafeRawBufferPointer) -> Bool {
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        return digest.withUnsafeBytes { $0.elementsEqual(expected) }
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func appendBigEndian(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Lower-case hex, for hashes kept in `meta` and shown in messages.
func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Parses lower- or upper-case hex; nil if malformed.
func bytesFromHex(_ text: String) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
        guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}
