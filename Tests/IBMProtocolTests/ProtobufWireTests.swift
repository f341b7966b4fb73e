import IBMProtocol
import SwiftProtobuf
import Testing

/// The wire-level shortcuts: the hub's core thread encodes an alert and an event once, replay reads fields in place.
@Suite struct ProtobufWireTests {
    static func event() -> Ibm_V1_PictureEvent {
        var alert = Ibm_V1_Alert()
        alert.id = "bor-1"
        alert.origin = "border"
        alert.category = .smugglingGoods
        alert.headline = "truck with a false floor"
        alert.observedAt = Google_Protobuf_Timestamp(unixMilliseconds: 1_780_000_000_123)
        var incident = Ibm_V1_Incident()
        incident.id = "inc-7"
        incident.status = .open
        var event = Ibm_V1_PictureEvent()
        event.seq = 8
        event.kind = .opened
        event.incident = incident
        event.alert = alert
        event.rule = "opened"
        event.mergedInto = "after prev_seq in field order"
        return event
    }

    @Test func theAlertInsideAnEncodedEventIsTheAlertsOwnEncoding() throws {
        let event = Self.event()
        let bytes: [UInt8] = try event.serializedBytes()
        let slice = try #require(ProtobufWire.lengthDelimitedField(4, in: bytes))
        #expect(Array(slice) == (try event.alert.serializedBytes()))
    }

    @Test func anAbsentOrTruncatedFieldIsNil() throws {
        var event = Self.event()
        event.clearAlert()
        let bytes: [UInt8] = try event.serializedBytes()
        #expect(ProtobufWire.lengthDelimitedField(4, in: bytes) == nil)
        let full: [UInt8] = try Self.event().serializedBytes()
        // Cut inside the alert: its declared length runs past the end.
        let alertStart = try #require(ProtobufWire.lengthDelimitedField(4, in: full)).startIndex
        #expect(ProtobufWire.lengthDelimitedField(4, in: Array(full[..<(alertStart + 3)])) == nil)
        #expect(ProtobufWire.lengthDelimitedField(4, in: [0x22, 0xFF]) == nil)
    }

    @Test func prevSeqAppendedAfterTheOtherFieldsDecodesAsTheEventWithIt() throws {
        var body: [UInt8] = try Self.event().serializedBytes()
        ProtobufWire.appendVarintField(10, 41, to: &body)
        var expected = Self.event()
        expected.prevSeq = 41
        #expect(try Ibm_V1_PictureEvent(serializedBytes: body) == expected)
    }

    @Test func theReaderWalksFieldsAndRefusesWhatRunsPastTheEnd() throws {
        var bytes: [UInt8] = []
        ProtobufWire.appendVarintField(1, 300, to: &bytes)
        ProtobufWire.appendBytesField(2, Array("abc".utf8), to: &bytes)
        ProtobufWire.appendVarint(3 << 3 | 1, to: &bytes)
        bytes += [1, 0, 0, 0, 0, 0, 0, 0]
        ProtobufWire.appendVarintField(4, UInt64.max, to: &bytes)
        bytes.withUnsafeBytes { raw in
            var reader = ProtobufWire.Reader(raw)
            var fields: [String] = []
            while let (number, wireType) = reader.readTag() {
                switch wireType {
                case ProtobufWire.varint: fields.append("\(number): varint \(reader.readVarint().map(String.init) ?? "?")")
                case ProtobufWire.lengthDelimited:
                    fields.append("\(number): \(reader.readLengthDelimited().map { String(decoding: $0, as: UTF8.self) } ?? "?")")
                case ProtobufWire.fixed64: fields.append("\(number): fixed64 \(reader.readFixed64().map(String.init) ?? "?")")
                default: fields.append("\(number): wire type \(wireType)")
                }
            }
            #expect(fields == ["1: varint 300", "2: abc", "3: fixed64 1", "4: varint \(UInt64.max)"])
            #expect(reader.isAtEnd)
        }
        // A length beyond the end, a fixed64 cut short, a varint of 11 bytes.
        for broken: [UInt8] in [[0x12, 0x05, 0x61], [0x19, 1, 2, 3], [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]] {
            let skipped = broken.withUnsafeBytes { raw in
                var reader = ProtobufWire.Reader(raw)
                guard let (_, wireType) = reader.readTag() else { return true }
                return reader.skip(wireType: wireType)
            }
            #expect(!skipped, "\(broken)")
        }
    }
}
