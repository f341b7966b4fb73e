import Dispatch
import IBMProtocol
import SwiftProtobuf
import Synchronization

/// Why a serialized correlator state cannot be restored.
public enum CorrelationStateError: Error, Sendable, Equatable, CustomStringConvertible {
    case notCorrelatorState
    case unsupportedVersion(UInt64)
    case truncated
    case invalidIncident(String)
    case inconsistent(String)

    public var description: String {
        switch self {
        case .notCorrelatorState: "not a correlator state (bad magic)"
        case let .unsupportedVersion(version): "correlator state version \(version) is not supported"
        case .truncated: "correlator state is truncated"
        case let .invalidIncident(reason): "correlator state holds an invalid incident: \(reason)"
        case let .inconsistent(reason): "correlator state is inconsistent: \(reason)"
        }
    }
}

/// A decoded `Correlator.serializedState()`, ready for `Correlator(rules:restoring:)`.
///
/// Decoding and indexing are separate steps so that a restart can tell their costs apart;
/// the totals let the restore size its tables once instead of growing them step by step.
public struct CorrelatorState: Sendable {
    var incidents: [StateCodec.IncidentState] = []
    public internal(set) var memberCount = 0
    var keyCount = 0
    var aliasCount = 0

    init() {}

    /// `parallelism`: threads for the protobuf half of the work (the hub passes its core count).
    public init(decoding bytes: [UInt8], parallelism: Int = 1) throws(CorrelationStateError) {
        self = try StateCodec.decode(bytes, parallelism: parallelism)
    }

    public var incidentCount: Int { incidents.count }
}

/// The checkpoint format: magic `IBMCOR`, a version, then per open incident (by number)
/// its picture form (`Ibm_V1_Incident`, protobuf) and, per contribution, what the picture
/// does not carry: the normalised identifiers (with reduced names) and the ids that resolve to it.
/// Indexes and the expiry heap are rebuilt on restore. All integers are LEB128 varints.
enum StateCodec {
    static let magic: [UInt8] = Array("IBMCOR".utf8)
    /// 2: names stored reduced (parts), not as written.
    static let version: UInt64 = 2

    struct MemberExtras: Equatable, Sendable {
        var keys: [IdentifierKey]
        var aliases: [String]
    }

    struct IncidentState: Sendable {
        var number: UInt64
        var proto: Ibm_V1_Incident
        var members: [MemberExtras]
    }

    static func encode(_ incidents: [IncidentState]) -> [UInt8] {
        var out = magic
        varint(version, into: &out)
        varint(UInt64(incidents.count), into: &out)
        for incident in incidents {
            varint(incident.number, into: &out)
            // Incident messages hold no maps, so their serialization is deterministic.
            let bytes: [UInt8] = (try? incident.proto.serializedBytes()) ?? []
            blob(bytes, into: &out)
            varint(UInt64(incident.members.count), into: &out)
            for member in incident.members {
                varint(UInt64(member.keys.count), into: &out)
                for key in member.keys {
                    varint(UInt64(IdentifierKind.allCases.firstIndex(of: key.kind) ?? 0), into: &out)
                    blob(Array(key.value.utf8), into: &out)
                    blob(Array(key.qualifier.utf8), into: &out)
                    varint(UInt64(key.nameParts.count), into: &out)
                    for part in key.nameParts { blob(Array(part.utf8), into: &out) }
                }
                varint(UInt64(member.aliases.count), into: &out)
                for alias in member.aliases { blob(Array(alias.utf8), into: &out) }
            }
        }
        return out
    }

    /// `parallelism` > 1 decodes the incidents' protobuf, about half the work, on that many threads.
    static func decode(_ bytes: [UInt8], parallelism: Int = 1) throws(CorrelationStateError) -> CorrelatorState {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw .notCorrelatorState }
        reader.offset = magic.count
        let found = try reader.varint()
        guard found == version else { throw .unsupportedVersion(found) }
        let count = try reader.count()
        var state = CorrelatorState()
        state.incidents.reserveCapacity(count)
        var protoRanges: [Range<Int>] = []
        protoRanges.reserveCapacity(count)
        for _ in 0..<count {
            let number = try reader.varint()
            let protoLength = try reader.count()
            protoRanges.append(reader.offset..<(reader.offset + protoLength))
            reader.offset += protoLength
            let memberCount = try reader.count()
            var members: [MemberExtras] = []
            members.reserveCapacity(memberCount)
            for _ in 0..<memberCount {
                let keyCount = try reader.count()
                var keys: [IdentifierKey] = []
                keys.reserveCapacity(keyCount)
                for _ in 0..<keyCount {
                    let kindIndex = try reader.varint()
                    guard kindIndex < IdentifierKind.allCases.count else { throw .inconsistent("unknown identifier kind \(kindIndex)") }
                    let value = try reader.string()
                    let qualifier = try reader.string()
                    var parts: [String] = []
                    for _ in 0..<(try reader.count()) { parts.append(try reader.string()) }
                    keys.append(IdentifierKey(kind: IdentifierKind.allCases[Int(kindIndex)], value: value,
                                              qualifier: qualifier, nameParts: parts))
                }
                var aliases: [String] = []
                for _ in 0..<(try reader.count()) { aliases.append(try reader.string()) }
                state.keyCount += keys.count
                state.aliasCount += aliases.count
                members.append(MemberExtras(keys: keys, aliases: aliases))
            }
            state.memberCount += members.count
            state.incidents.append(IncidentState(number: number, proto: Ibm_V1_Incident(), members: members))
        }
        guard reader.offset == bytes.count else { throw .inconsistent("trailing bytes") }
        try decodeIncidents(bytes, protoRanges, into: &state.incidents, parallelism: parallelism)
        return state
    }

    /// Each incident's protobuf into its slot; slices of the list go to separate threads.
    private static func decodeIncidents(_ bytes: [UInt8], _ ranges: [Range<Int>], into incidents: inout [IncidentState],
                                        parallelism: Int) throws(CorrelationStateError) {
        // Below a few thousand incidents a thread costs more than it saves.
        let slices = ranges.count < 4096 ? 1 : max(1, min(parallelism, 8))
        let decoded = SliceResults(count: slices)
        let decodeSlice = { @Sendable (slice: Int) in
            let bounds = (ranges.count * slice / slices)..<(ranges.count * (slice + 1) / slices)
            var protos: [Ibm_V1_Incident] = []
            protos.reserveCapacity(bounds.count)
            do {
                for index in bounds { protos.append(try Ibm_V1_Incident(serializedBytes: Array(bytes[ranges[index]]))) }
                decoded.set(slice, .success(protos))
            } catch {
                decoded.set(slice, .failure(.invalidIncident("\(error)")))
            }
        }
        if slices == 1 {
            decodeSlice(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: slices, execute: decodeSlice)
        }
        var index = 0
        for result in decoded.take() {
            for proto in try result.get() {
                incidents[index].proto = proto
                index += 1
            }
        }
    }

    /// What each decoding thread hands back, behind a lock.
    private final class SliceResults: Sendable {
        private let results: Mutex<[Result<[Ibm_V1_Incident], CorrelationStateError>]>

        init(count: Int) {
            results = Mutex(Array(repeating: .success([]), count: count))
        }

        func set(_ slice: Int, _ result: Result<[Ibm_V1_Incident], CorrelationStateError>) {
            results.withLock { $0[slice] = result }
        }

        func take() -> [Result<[Ibm_V1_Incident], CorrelationStateError>] {
            results.withLock { $0 }
        }
    }

    private static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    private static func blob(_ bytes: [UInt8], into out: inout [UInt8]) {
        varint(UInt64(bytes.count), into: &out)
        out += bytes
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func varint() throws(CorrelationStateError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { throw .truncated }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        /// A count, bounded by the bytes left so that a corrupt length cannot exhaust memory.
        mutating func count() throws(CorrelationStateError) -> Int {
            let value = try varint()
            guard value <= UInt64(bytes.count - offset) else { throw .truncated }
            return Int(value)
        }

        mutating func blob() throws(CorrelationStateError) -> [UInt8] {
            let length = try count()
            defer { offset += length }
            return Array(bytes[offset..<(offset + length)])
        }

        mutating func string() throws(CorrelationStateError) -> String {
            let data = try blob()
            guard let text = String(validating: data, as: UTF8.self) else { throw .inconsistent("invalid UTF-8") }
            return text
        }
    }
}
