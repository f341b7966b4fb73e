import SwiftProtobuf

extension AlertJSON {
    /// Appends the JSON form of the alert whose protobuf bytes are `wire`: the same bytes as
    /// `encode(try Ibm_V1_Alert(serializedBytes: wire))`, which `ibmctl replay` prints a million
    /// times a second.
    ///
    /// Walks the bytes once and writes as it goes: no message, no `JSONValue` tree, no String per
    /// field. Bytes in a form this path does not expect (a field out of order or repeated, an
    /// unknown field or enum value, malformed wire format, invalid UTF-8) are decoded by
    /// swift-protobuf instead, whose error names what is wrong when they are not an alert.
    public func encode(wire: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        if AlertWireJSON.write(wire, into: &out) { return }
        let alert = try Ibm_V1_Alert(serializedBytes: Array(wire))
        out.append(contentsOf: encode(alert))
    }
}

/// The wire → JSON walk behind ``AlertJSON/encode(wire:into:)``.
///
/// Each message is described by its fields in field-number order, which for every message of
/// the alert is also the member order of the JSON form (DESIGN.md §4). So one pass over fields
/// in ascending order writes the members in order; a field that is absent gets its JSON default
/// (if the form writes one) when a later field, or the end, passes it.
enum AlertWireJSON {
    /// Writes the alert's JSON object; false, with `out` as it was, when the bytes need the full decoder.
    static func write(_ wire: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        let start = out.count
        out.append(UInt8(ascii: "{"))
        guard members(wire, alertFields, into: &out) else {
            out.removeSubrange(start...)
            return false
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// How one field is written, and what is written when it is absent.
    enum Form {
        /// `string`; with `always`, written even when empty.
        case text(always: Bool)
        /// An enum: written always, by the JSON name of its value (`""` for unspecified).
        case name(Names)
        /// `repeated string`: an array, when non-empty.
        case texts
        /// `uint32`: always, or only when above zero.
        case count(always: Bool)
        /// `double`: always.
        case number
        /// `google.protobuf.Timestamp`: an RFC 3339 string, when present.
        case time
        /// `Location`: an object, when present.
        case location
        /// `repeated Subject`: an array, always.
        case subjects
    }

    /// A field: its member key and form. Static strings throughout, so that writing them
    /// costs no reference counting (which took a fifth of the time when they were arrays).
    struct Field {
        /// `,"name":` (no comma for a message's first member, which is always written).
        let key: StaticString
        let form: Form

        init(_ key: StaticString, _ form: Form) {
            self.key = key
            self.form = form
        }
    }

    static let alertFields: [Field] = [
        Field(#""id":"#, .text(always: true)),
        Field(#","origin":"#, .text(always: true)),
        Field(#","msg_type":"#, .name(.msgType)),
        Field(#","references":"#, .texts),
        Field(#","observed_at":"#, .time),
        Field(#","category":"#, .name(.category)),
        Field(#","severity":"#, .name(.severity)),
        Field(#","urgency":"#, .name(.urgency)),
        Field(#","certainty":"#, .name(.certainty)),
        Field(#","tlp":"#, .name(.tlp)),
        Field(#","recipients":"#, .texts),
        Field(#","headline":"#, .text(always: true)),
        Field(#","description":"#, .text(always: false)),
        Field(#","location":"#, .location),
        Field(#","subjects":"#, .subjects),
    ]

    static let locationFields: [Field] = [
        Field(#""lat":"#, .number),
        Field(#","lon":"#, .number),
        Field(#","place":"#, .text(always: false)),
        Field(#","sector":"#, .text(always: false)),
    ]

    /// `{"kind":"…"` of each subject kind, by the field number of the kind in `Subject` minus one.
    static let subjectKinds: [StaticString] = [
        #"{"kind":"vehicle""#, #"{"kind":"person""#, #"{"kind":"weapon""#, #"{"kind":"goods""#,
        #"{"kind":"vessel""#, #"{"kind":"group""#, #"{"kind":"consignment""#,
    ]

    /// The fields of every subject kind's message, one after the other; `subjectSpans` has
    /// each kind's range, by the same index as `subjectKinds`.
    static let subjectFields: [Field] = [
        Field(#","plate":"#, .text(always: false)),
        Field(#","country":"#, .text(always: false)),
        Field(#","make":"#, .text(always: false)),
        Field(#","colour":"#, .text(always: false)),

        Field(#","name":"#, .text(always: false)),
        Field(#","document":"#, .text(always: false)),
        Field(#","nationality":"#, .text(always: false)),
        Field(#","birth_date":"#, .text(always: false)),

        Field(#","type":"#, .text(always: false)),
        Field(#","pattern":"#, .text(always: false)),
        Field(#","calibre":"#, .text(always: false)),
        Field(#","serial":"#, .text(always: false)),
        Field(#","headstamp":"#, .text(always: false)),
        Field(#","quantity":"#, .count(always: false)),

        Field(#","commodity":"#, .text(always: false)),
        Field(#","quantity":"#, .number),
        Field(#","unit":"#, .text(always: false)),

        Field(#","name":"#, .text(always: false)),
        Field(#","mmsi":"#, .text(always: false)),
        Field(#","imo":"#, .text(always: false)),
        Field(#","flag":"#, .text(always: false)),

        Field(#","size":"#, .count(always: true)),
        Field(#","nationalities":"#, .texts),

        Field(#","reference":"#, .text(always: false)),
    ]

    static let subjectSpans: [Range<Int>] = [0..<4, 4..<8, 8..<14, 14..<17, 17..<21, 21..<23, 23..<24]

    /// The enums of the alert, each with the JSON names of its values 0, 1, … (`""` for
    /// unspecified): Vocabulary.swift's spellings as static strings; a test checks that they agree.
    enum Names {
        case msgType, category, severity, urgency, certainty, tlp

        static let msgTypeNames: [StaticString] = ["", "alert", "update", "cancel"]
        static let categoryNames: [StaticString] = [
            "", "narcoterrorism", "radicalized_returnee", "irregular_migration", "migrant_smuggling",
            "human_trafficking", "smuggling_goods", "drug_trafficking", "cross_border_terrorism",
            "foreign_armed_group", "identity_fraud", "arms_trafficking", "illegal_fishing", "sea_pollution", "other",
        ]
        static let severityNames: [StaticString] = ["", "unknown", "minor", "moderate", "severe", "extreme"]
        static let urgencyNames: [StaticString] = ["", "unknown", "past", "future", "expected", "immediate"]
        static let certaintyNames: [StaticString] = ["", "unknown", "unlikely", "possible", "likely", "observed"]
        static let tlpNames: [StaticString] = ["", "clear", "green", "amber", "amber+strict", "red"]

        /// The JSON name of a value; nil for a value this build does not know.
        func name(_ value: UInt64) -> StaticString? {
            let names = switch self {
            case .msgType: Self.msgTypeNames
            case .category: Self.categoryNames
            case .severity: Self.severityNames
            case .urgency: Self.urgencyNames
            case .certainty: Self.certaintyNames
            case .tlp: Self.tlpNames
            }
            return value < UInt64(names.count) ? names[Int(value)] : nil
        }
    }

    @inline(__always)
    static func append(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// Writes the members of one message from its fields, which must come in ascending order
    /// (a repeated field's elements next to each other), each known and of its wire type.
    static func members(
        _ wire: UnsafeRawBufferPointer, _ fields: [Field], _ span: Range<Int>? = nil, into out: inout [UInt8]
    ) -> Bool {
        let base = span?.lowerBound ?? 0
        let count = span?.count ?? fields.count
        var reader = ProtobufWire.Reader(wire)
        var next = 0  // index of the first field not yet passed
        var open = -1  // index of the repeated field whose array is open
        while !reader.isAtEnd {
            guard let (number, wireType) = reader.readTag(), number >= 1, number <= UInt64(count) else { return false }
            let index = Int(number) - 1
            if index == open {
                guard wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited() else { return false }
                out.append(UInt8(ascii: ","))
                guard element(payload, fields[base + index].form, into: &out) else { return false }
                continue
            }
            guard index >= next else { return false }
            if open >= 0 {
                out.append(UInt8(ascii: "]"))
                open = -1
            }
            for absent in next..<index { writeDefault(fields[base + absent], into: &out) }
            next = index + 1
            let field = fields[base + index]
            switch field.form {
            case let .text(always):
                guard wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited(),
                      isValidUTF8(payload) else { return false }
                if always || !payload.isEmpty {
                    append(field.key, to: &out)
                    JSONWriter.writeString(utf8: payload, into: &out)
                }
            case let .name(names):
                guard wireType == ProtobufWire.varint, let value = reader.readVarint(), let name = names.name(value) else { return false }
                append(field.key, to: &out)
                out.append(UInt8(ascii: "\""))
                append(name, to: &out)
                out.append(UInt8(ascii: "\""))
            case let .count(always):
                guard wireType == ProtobufWire.varint, let value = reader.readVarint(), value <= UInt64(UInt32.max) else { return false }
                if always || value > 0 {
                    append(field.key, to: &out)
                    JSONWriter.writeInteger(value, into: &out)
                }
            case .number:
                guard wireType == ProtobufWire.fixed64, let bits = reader.readFixed64() else { return false }
                append(field.key, to: &out)
                JSONWriter.writeNumber(Double(bitPattern: bits), into: &out)
            case .time:
                guard wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited(),
                      let (seconds, nanos) = timestamp(payload) else { return false }
                append(field.key, to: &out)
                out.append(UInt8(ascii: "\""))
                RFC3339.write(seconds: seconds, nanos: nanos, into: &out)
                out.append(UInt8(ascii: "\""))
            case .location:
                guard wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited() else { return false }
                append(field.key, to: &out)
                out.append(UInt8(ascii: "{"))
                guard members(payload, locationFields, into: &out) else { return false }
                out.append(UInt8(ascii: "}"))
            case .texts, .subjects:
                guard wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited() else { return false }
                append(field.key, to: &out)
                out.append(UInt8(ascii: "["))
                guard element(payload, field.form, into: &out) else { return false }
                open = index
            }
        }
        if open >= 0 { out.append(UInt8(ascii: "]")) }
        for absent in next..<count { writeDefault(fields[base + absent], into: &out) }
        return true
    }

    /// One element of a repeated field: a string or a subject.
    @inline(__always)
    static func element(_ payload: UnsafeRawBufferPointer, _ form: Form, into out: inout [UInt8]) -> Bool {
        if case .subjects = form { return subject(payload, into: &out) }
        guard isValidUTF8(payload) else { return false }
        JSONWriter.writeString(utf8: payload, into: &out)
        return true
    }

    /// What the JSON form writes for a field that is absent (or holds its default value).
    static func writeDefault(_ field: Field, into out: inout [UInt8]) {
        switch field.form {
        case .text(always: true):
            append(field.key, to: &out)
            append(#""""#, to: &out)
        case .name:
            append(field.key, to: &out)
            append(#""""#, to: &out)
        case .count(always: true), .number:
            append(field.key, to: &out)
            out.append(UInt8(ascii: "0"))
        case .subjects:
            append(field.key, to: &out)
            append("[]", to: &out)
        case .text(always: false), .count(always: false), .texts, .time, .location:
            break
        }
    }

    /// A subject: `{"kind":"…",…}` from its one kind field, or `{}` when it has none.
    static func subject(_ wire: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var reader = ProtobufWire.Reader(wire)
        guard !reader.isAtEnd else {
            append("{}", to: &out)
            return true
        }
        // A second kind field would replace or merge into the first: leave that to the decoder.
        guard let (number, wireType) = reader.readTag(), number >= 1, number <= UInt64(subjectKinds.count),
              wireType == ProtobufWire.lengthDelimited, let payload = reader.readLengthDelimited(), reader.isAtEnd
        else { return false }
        append(subjectKinds[Int(number) - 1], to: &out)
        guard members(payload, subjectFields, subjectSpans[Int(number) - 1], into: &out) else { return false }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// A `Timestamp`'s seconds and nanos, decoded as swift-protobuf decodes them.
    static func timestamp(_ wire: UnsafeRawBufferPointer) -> (seconds: Int64, nanos: Int32)? {
        var reader = ProtobufWire.Reader(wire)
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        var next: UInt64 = 1
        while !reader.isAtEnd {
            guard let (number, wireType) = reader.readTag(), number >= next, number <= 2,
                  wireType == ProtobufWire.varint, let value = reader.readVarint() else { return nil }
            if number == 1 { seconds = Int64(bitPattern: value) } else { nanos = Int32(truncatingIfNeeded: value) }
            next = number + 1
        }
        return (seconds, nanos)
    }

    /// Whether `bytes` are well-formed UTF-8, by the standard library's validator (the one
    /// swift-protobuf's string decoding applies); most fields are ASCII, checked 8 bytes at a time.
    @inline(__always)
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while bytes.count - index >= 8 {
            guard bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 else {
                return (try? UTF8Span(validating: bytes.assumingMemoryBound(to: UInt8.self).span)) != nil
            }
            index += 8
        }
        while index < bytes.count {
            guard bytes[index] < 0x80 else {
                return (try? UTF8Span(validating: bytes.assumingMemoryBound(to: UInt8.self).span)) != nil
            }
            index += 1
        }
        return true
    }
}
