@testable import Hub
import IBMProtocol
import SwiftProtobuf
import Testing

/// The wire-level shortcuts the core thread takes so that an alert and an event are encoded once.
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
}
