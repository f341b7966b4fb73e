import IBMProtocol
import Testing

@Suite struct JSONWriterTests {
    @Test func escapesQuotesBackslashesAndControlCharactersAndKeepsTheRest() {
        var out: [UInt8] = []
        JSONWriter.writeString("a\"b\\c\nd\re\tf\u{01}\u{1F}تونس 4567", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\nd\re\tf\u0001\u001fتونس 4567""#)
    }

    @Test func writesEmptyAndEscapeOnlyStrings() {
        var out: [UInt8] = []
        JSONWriter.writeString("", into: &out)
        JSONWriter.writeString("\"", into: &out)
        JSONWriter.writeString("\n\n", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""""\"""\n\n""#)
    }

    @Test func stringsReadBackThroughTheParser() throws {
        let text = "x\u{00}y \"quoted\" \\ back\u{7F} é"
        let bytes = JSONWriter.bytes(.object([(key: "k", value: .string(text))]))
        guard case let .object(members) = try JSONParser().parse(bytes), case let .string(read)? = members.first?.value else {
            Issue.record("not an object with a string")
            return
        }
        #expect(read == text)
    }
}
