@testable import IBMProtocol
import SwiftProtobuf
import TestSupport
import Testing

/// `AlertJSON.encode(wire:into:)` (replay's JSON straight from protobuf bytes) must write
/// exactly what decoding with swift-protobuf and `AlertJSON.encode` writes, and refuse what
/// swift-protobuf refuses.
@Suite struct AlertWireJSONTests {
    let codec = AlertJSON()

    /// The reference: decode the message, then encode the JSON form.
    func reference(_ wire: [UInt8]) throws -> [UInt8] {
        codec.encode(try Ibm_V1_Alert(serializedBytes: wire))
    }

    func fromWire(_ wire: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = Array("prefix ".utf8)
        try wire.withUnsafeBytes { try codec.encode(wire: $0, into: &out) }
        #expect(out.starts(with: "prefix ".utf8))
        return Array(out.dropFirst(7))
    }

    /// Whether the one-pass path took the bytes (rather than handing them to swift-protobuf).
    func fastPathTakes(_ wire: [UInt8]) -> Bool {
        var out: [UInt8] = []
        let taken = wire.withUnsafeBytes { AlertWireJSON.write($0, into: &out) }
        if !taken { #expect(out.isEmpty, "a refused fast path leaves the output as it was") }
        return taken
    }

    @Test func everySampleAlertIsWrittenByTheFastPathAsTheCodecWritesIt() throws {
        for (number, line) in try Scenario.lines().enumerated() {
            let wire: [UInt8] = try codec.decode(line).serializedBytes()
            #expect(fastPathTakes(wire), "line \(number + 1)")
            #expect(try fromWire(wire) == (try reference(wire)), "line \(number + 1)")
        }
    }

    @Test func randomAlertsAreWrittenAsTheCodecWritesThem() throws {
        var random = SeededGenerator(seed: 20_261_121)
        var fast = 0
        for round in 0..<3000 {
            let alert = Self.randomAlert(&random)
            let wire: [UInt8] = try alert.serializedBytes()
            let expected = codec.encode(alert)
            #expect(try fromWire(wire) == expected, "round \(round): \(String(decoding: expected, as: UTF8.self))")
            if fastPathTakes(wire) { fast += 1 }
        }
        // Unrecognised enum values go to swift-protobuf; everything else must not.
        #expect(fast > 2000)
    }

    @Test func damagedBytesAreEitherRefusedOrReadAsSwiftProtobufReadsThem() throws {
        var random = SeededGenerator(seed: 7)
        for round in 0..<3000 {
            var wire: [UInt8] = try Self.randomAlert(&random).serializedBytes()
            guard !wire.isEmpty else { continue }
            switch random.next() % 4 {
            case 0: wire[Int(random.next() % UInt64(wire.count))] = UInt8(truncatingIfNeeded: random.next())
            case 1: wire.removeLast(Int(random.next() % UInt64(wire.count)) + 1)
            case 2: wire.insert(UInt8(truncatingIfNeeded: random.next()), at: Int(random.next() % UInt64(wire.count)))
            default: wire[Int(random.next() % UInt64(wire.count))] ^= 0x80
            }
            let expected = try? reference(wire)
            let written = try? fromWire(wire)
            #expect(written == expected, "round \(round): \(wire)")
            if fastPathTakes(wire) { #expect(expected != nil, "round \(round): the fast path took bytes swift-protobuf refuses") }
        }
    }

    @Test func fieldsOutOfOrderOrRepeatedAreDecodedNotGuessed() throws {
        var first = Ibm_V1_Alert()
        first.id = "bor-1"
        first.headline = "first"
        var second = Ibm_V1_Alert()
        second.id = "bor-2"
        second.origin = "border"
        // Concatenated messages merge: the last id and headline win.
        let repeated: [UInt8] = try first.serializedBytes() + second.serializedBytes()
        #expect(!fastPathTakes(repeated))
        #expect(try fromWire(repeated) == (try reference(repeated)))
        #expect(String(decoding: try fromWire(repeated), as: UTF8.self).hasPrefix(#"{"id":"bor-2","origin":"border""#))
        // Headline (12) before id (1): valid protobuf, not the order the fast path walks.
        var reversed: [UInt8] = []
        ProtobufWire.appendBytesField(12, Array("late".utf8), to: &reversed)
        ProtobufWire.appendBytesField(1, Array("bor-3".utf8), to: &reversed)
        #expect(!fastPathTakes(reversed))
        #expect(try fromWire(reversed) == (try reference(reversed)))
    }

    @Test func invalidUTF8IsAnErrorNotOutput() throws {
        var wire: [UInt8] = []
        ProtobufWire.appendBytesField(1, Array("bor-1".utf8), to: &wire)
        ProtobufWire.appendBytesField(12, [0x41, 0xED, 0xA0, 0x80, 0x42, 0x43, 0x44, 0x45, 0x46], to: &wire)  // a surrogate
        #expect(!fastPathTakes(wire))
        #expect(throws: (any Error).self) { try fromWire(wire) }
        var out: [UInt8] = [1, 2]
        #expect(throws: (any Error).self) { try wire.withUnsafeBytes { try codec.encode(wire: $0, into: &out) } }
        #expect(out == [1, 2])
    }

    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        var random = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let count = Int(random.next() % 12)
            let bytes = (0..<count).map { _ in
                let value = random.next()
                return value % 3 == 0 ? UInt8(truncatingIfNeeded: value >> 8) & 0x7F : UInt8(truncatingIfNeeded: value >> 8)
            }
            let valid = bytes.withUnsafeBytes { AlertWireJSON.isValidUTF8($0) }
            #expect(valid == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test func numbersAreWrittenAsTheJSONValueSpellsThem() {
        var values: [Double] = [0, -0.0, 1, -1, 10, 0.1, 32.01, 10.7, -17.25, 1e15, 1e15 - 1, -1e15, 1e16, 123_456.789,
                                1e-7, 5e-324, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .nan, .infinity,
                                -.infinity, 0.30000000000000004, 12.345678901234567]
        var random = SeededGenerator(seed: 11)
        values += (0..<2000).map { _ in Double(bitPattern: random.next()) }
        values += (0..<2000).map { _ in Double(Int64(bitPattern: random.next()) % 36_000_000) / 100_000 }
        for value in values {
            var out: [UInt8] = []
            JSONWriter.writeNumber(value, into: &out)
            #expect(out == JSONWriter.bytes(.number(value)), "\(value)")
        }
        for value: Int64 in [0, 9, 10, 99, 100, -1, -10, .max, .min] {
            var out: [UInt8] = []
            JSONWriter.writeInteger(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        var out: [UInt8] = []
        JSONWriter.writeInteger(UInt64.max, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(UInt64.max))
    }

    static let timestamps: [(seconds: Int64, nanos: Int32, text: String)] = [
        (0, 0, "1970-01-01T00:00:00Z"),
        (1_795_278_192, 50_000_000, "2026-11-21T16:23:12.050Z"),
        (1_795_278_192, 5000, "2026-11-21T16:23:12.000005Z"),
        (1_795_278_192, 123_456, "2026-11-21T16:23:12.000123456Z"),
        (1_795_278_192, -5, "2026-11-21T16:23:12Z"),
        (-1, 0, "1969-12-31T23:59:59Z"),
        (253_402_300_799, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
        (-62_167_219_200 - 86_400, 0, "00-1-12-31T00:00:00Z"),
    ]

    @Test func timestampsAreFormattedAsBefore() {
        for (seconds, nanos, text) in Self.timestamps {
            var timestamp = Google_Protobuf_Timestamp()
            timestamp.seconds = seconds
            timestamp.nanos = nanos
            #expect(RFC3339.format(timestamp) == text)
        }
    }

    // MARK: Random alerts

    static let pieces = ["", "a", "bor-000123", "Dehiba-Wazen BCP", "TN-LY", "\"", "\\", "\n", "\t", "\r", "\u{1}", "\u{1F}",
                         "\u{7F}", "é", "تونس", "123 تونس 4567", "🚤", "\u{FEFF}", "/", "<>&", "a\"b\\c"]

    static func randomText(_ random: inout SeededGenerator) -> String {
        (0..<Int(random.next() % 4)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    static func randomDouble(_ random: inout SeededGenerator) -> Double {
        switch random.next() % 5 {
        case 0: return 0
        case 1: return Double(Int64(random.next() % 1000)) - 500
        case 2: return Double(bitPattern: random.next())
        default: return Double(Int64(bitPattern: random.next()) % 18_000_000) / 100_000
        }
    }

    /// Mostly known values; now and then one that this build does not know.
    static func randomEnum(_ random: inout SeededGenerator, known: Int) -> Int {
        random.next() % 50 == 0 ? known + 1 + Int(random.next() % 100) : Int(random.next() % UInt64(known + 1))
    }

    static func randomAlert(_ random: inout SeededGenerator) -> Ibm_V1_Alert {
        var alert = Ibm_V1_Alert()
        alert.id = randomText(&random)
        alert.origin = randomText(&random)
        alert.msgType = Ibm_V1_MsgType(rawValue: randomEnum(&random, known: 3)) ?? .unspecified
        alert.references = (0..<Int(random.next() % 3)).map { _ in randomText(&random) }
        if random.next() % 4 != 0 {
            var stamp = Google_Protobuf_Timestamp()
            stamp.seconds = random.next() % 8 == 0 ? Int64(bitPattern: random.next()) % 100_000_000_000
                : 1_700_000_000 + Int64(random.next() % 200_000_000)
            let nanoChoices: [Int32] = [0, 1, 1_000, 1_000_000, 123_000_000, 999_999_999, -1, Int32(random.next() % 1_000_000_000)]
            stamp.nanos = nanoChoices[Int(random.next() % UInt64(nanoChoices.count))]
            alert.observedAt = stamp
        }
        alert.category = Ibm_V1_Category(rawValue: randomEnum(&random, known: 14)) ?? .unspecified
        alert.severity = Ibm_V1_Severity(rawValue: randomEnum(&random, known: 5)) ?? .unspecified
        alert.urgency = Ibm_V1_Urgency(rawValue: randomEnum(&random, known: 5)) ?? .unspecified
        alert.certainty = Ibm_V1_Certainty(rawValue: randomEnum(&random, known: 5)) ?? .unspecified
        alert.tlp = Ibm_V1_Tlp(rawValue: randomEnum(&random, known: 5)) ?? .unspecified
        alert.recipients = (0..<Int(random.next() % 3)).map { _ in randomText(&random) }
        alert.headline = randomText(&random)
        alert.description_p = randomText(&random)
        if random.next() % 4 != 0 {
            alert.location.lat = randomDouble(&random)
            alert.location.lon = randomDouble(&random)
            alert.location.place = randomText(&random)
            alert.location.sector = randomText(&random)
        }
        alert.subjects = (0..<Int(random.next() % 4)).map { _ in randomSubject(&random) }
        return alert
    }

    static func randomSubject(_ random: inout SeededGenerator) -> Ibm_V1_Subject {
        var subject = Ibm_V1_Subject()
        func text() -> String { randomText(&random) }
        switch random.next() % 8 {
        case 0:
            var vehicle = Ibm_V1_Vehicle()
            (vehicle.plate, vehicle.country, vehicle.make, vehicle.colour) = (text(), text(), text(), text())
            subject.vehicle = vehicle
        case 1:
            var person = Ibm_V1_Person()
            (person.name, person.document, person.nationality, person.birthDate) = (text(), text(), text(), text())
            subject.person = person
        case 2:
            var weapon = Ibm_V1_Weapon()
            (weapon.type, weapon.pattern, weapon.calibre, weapon.serial, weapon.headstamp) = (text(), text(), text(), text(), text())
            weapon.quantity = random.next() % 2 == 0 ? 0 : UInt32(truncatingIfNeeded: random.next() >> UInt64(random.next() % 64))
            subject.weapon = weapon
        case 3:
            var goods = Ibm_V1_Goods()
            goods.commodity = text()
            goods.quantity = randomDouble(&random)
            goods.unit = text()
            subject.goods = goods
        case 4:
            var vessel = Ibm_V1_Vessel()
            (vessel.name, vessel.mmsi, vessel.imo, vessel.flag) = (text(), text(), text(), text())
            subject.vessel = vessel
        case 5:
            var group = Ibm_V1_Group()
            group.size = UInt32(truncatingIfNeeded: random.next() % 3 == 0 ? 0 : random.next() % 300)
            group.nationalities = (0..<Int(random.next() % 3)).map { _ in text() }
            subject.group = group
        case 6:
            var consignment = Ibm_V1_Consignment()
            consignment.reference = text()
            subject.consignment = consignment
        default:
            break  // no kind: written as {}
        }
        return subject
    }
}

extension AlertWireJSONTests {
    @Test func enumNamesAgreeWithTheVocabulary() {
        func check<E: JSONSpelledEnum & SwiftProtobuf.Enum>(_: E.Type, _ names: AlertWireJSON.Names) {
            for value in E.allCases {
                #expect(names.name(UInt64(value.rawValue)).map { "\($0)" } == (value.jsonName ?? ""), "\(value)")
            }
            #expect(names.name(UInt64(E.allCases.count)) == nil)
        }
        check(Ibm_V1_MsgType.self, .msgType)
        check(Ibm_V1_Category.self, .category)
        check(Ibm_V1_Severity.self, .severity)
        check(Ibm_V1_Urgency.self, .urgency)
        check(Ibm_V1_Certainty.self, .certainty)
        check(Ibm_V1_Tlp.self, .tlp)
    }
}
