import Foundation
import Testing
import YAMLConfig

@Suite struct ConfigNodeTests {
    let text = """
        journal:
          durability: fsink
          path: "data/journal.db"
          batch: 64
          ratio: 0.5
          enabled: true
          retention: 7d
        peers:
          - border
          - customs
        empty:
        """

    private func root() throws -> ConfigNode { try ConfigNode.parse(text, file: "Config/hub.yaml") }

    /// The message of the error `body` throws, or "no error".
    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as ConfigError {
            return error.description
        } catch {
            return "not a ConfigError: \(error)"
        }
    }

    @Test func readsTypedValues() throws {
        let top = try root().mapping(allowedKeys: ["journal", "peers", "empty"])
        let journal = try #require(top["journal"]).mapping(allowedKeys: ["durability", "path", "batch", "ratio", "enabled", "retention"])
        #expect(try journal["path"]?.string() == "data/journal.db")
        #expect(try journal["batch"]?.int(in: 1...1000) == 64)
        #expect(try journal["ratio"]?.double(in: 0...1) == 0.5)
        #expect(try journal["enabled"]?.bool() == true)
        #expect(try journal["retention"]?.duration() == .seconds(7 * 86_400))
        #expect(try journal["retention"]?.milliseconds() == 7 * 86_400_000)
        #expect(try top["peers"]?.strings() == ["border", "customs"])
        #expect(try top["peers"]?.array().map(\.path) == ["peers[0]", "peers[1]"])
        #expect(top["empty"]?.isNull == true)
    }

    @Test func oneOfNamesTheChoicesAtTheValue() throws {
        let journal = try #require(try root().mapping(allowedKeys: ["journal", "peers", "empty"])["journal"])
        let durability = try #require(try journal.mapping(allowedKeys: ["durability", "path", "batch", "ratio", "enabled", "retention"])["durability"])
        #expect(message({ _ = try durability.oneOf(["fsync", "os"]) })
            == #"Config/hub.yaml:2:15: journal.durability: "fsink" is not one of fsync, os"#)
    }

    @Test func anUnknownKeyFailsAtThatKey() throws {
        let node = try root()
        let journal = try #require(try node.mapping(allowedKeys: ["journal", "peers", "empty"])["journal"])
        #expect(message({ _ = try journal.mapping(allowedKeys: ["durability", "path"]) })
            == "Config/hub.yaml:4:3: journal.batch: unknown key; expected one of durability, path")
    }

    @Test func aMissingKeyFailsAtTheMapping() throws {
        let node = try root()
        let top = try node.mapping(allowedKeys: ["journal", "peers", "empty"])
        #expect(message({ _ = try node.required("listen", in: top) }) == "Config/hub.yaml:1:1: listen: is required")
        #expect(message({ _ = try node.required("empty", in: top) }) == "Config/hub.yaml:11:7: empty: is required")
    }

    @Test func wrongTypesAndRangesAreExplained() throws {
        let node = try ConfigNode.parse("a: 12\nb: yes\nc: [1]\nd: 1.5\ne: 90\nf: x\n", file: "f.yaml")
        let map = try node.mapping(allowedKeys: ["a", "b", "c", "d", "e", "f"])
        #expect(message({ _ = try map["a"]?.int(in: 1...10) }) == "f.yaml:1:4: a: 12 is outside 1...10")
        #expect(message({ _ = try map["b"]?.bool() }) == #"f.yaml:2:4: b: "yes" is not a boolean; use true or false"#)
        #expect(message({ _ = try map["c"]?.string() }) == "f.yaml:3:4: c: expected a string, found a list")
        #expect(message({ _ = try map["d"]?.int(in: 0...10) }) == #"f.yaml:4:4: d: "1.5" is not a whole number"#)
        do {
            let text = message({ _ = try map["e"]?.milliseconds() })
            #expect(text.hasPrefix(#"f.yaml:5:4: e: "90" is not a duration"#))
        }
        #expect(message({ _ = try map["f"]?.double(in: 0...1) }) == #"f.yaml:6:4: f: "x" is not a number"#)
        #expect(message({ _ = try map["a"]?.mapping(allowedKeys: []) }) == #"f.yaml:1:4: a: expected a mapping, found "12""#)
    }

    @Test func durations() {
        #expect(ConfigNode.parseDuration("250ms") == 250)
        #expect(ConfigNode.parseDuration("90s") == 90_000)
        #expect(ConfigNode.parseDuration("45m") == 2_700_000)
        #expect(ConfigNode.parseDuration("6h") == 21_600_000)
        #expect(ConfigNode.parseDuration("7d") == 604_800_000)
        #expect(ConfigNode.parseDuration("1h30m") == 5_400_000)
        #expect(ConfigNode.parseDuration("0s") == 0)
        for bad in ["", "90", "m", "1.5h", "-5m", "5 min", "5w", "99999999999999999999d"] {
            #expect(ConfigNode.parseDuration(bad) == nil, "\(bad)")
        }
    }

    @Test func quotedNullIsAString() throws {
        let node = try ConfigNode.parse("a: 'null'\nb: null\nc: ~\n", file: "f.yaml")
        let map = try node.mapping(allowedKeys: ["a", "b", "c"])
        #expect(try map["a"]?.string() == "null")
        #expect(map["b"]?.isNull == true)
        #expect(map["c"]?.isNull == true)
    }

    @Test func invalidYAMLFailsWithItsPosition() {
        do {
            let text = message({ _ = try ConfigNode.parse("a: [1, 2\nb: 3\n", file: "f.yaml") })
            #expect(text.hasPrefix("f.yaml:"))
        }
        do {
            let text = message({ _ = try ConfigNode.parse("a: 1\na: 2\n", file: "f.yaml") })
            #expect(text.hasPrefix("f.yaml:"))
        }
        do {
            let text = message({ _ = try ConfigNode.parse("a: 1\na: 2\n", file: "f.yaml") })
            #expect(text.contains("a"))
        }
        do {
            let text = message({ _ = try ConfigNode.parse("a: *x\n", file: "f.yaml") })
            #expect(text.hasPrefix("f.yaml:"))
        }
    }

    @Test func anEmptyDocumentIsNull() throws {
        #expect(try ConfigNode.parse("", file: "f.yaml").isNull)
        #expect(try ConfigNode.parse("# only a comment\n", file: "f.yaml").isNull)
    }

    @Test func loadReadsAFileAndNamesIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("yamlconfig-\(UUID().uuidString).yaml").path
        try "key: value\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let node = try ConfigNode.load(path: path)
        #expect(node.file == path)
        #expect(try node.mapping(allowedKeys: ["key"])["key"]?.string() == "value")
        do {
            let text = message({ _ = try ConfigNode.load(path: path + ".missing") })
            #expect(text.hasPrefix(path + ".missing: cannot read the file"))
        }
    }

    @Test func errorsWithoutAPositionOrPathPrintShort() {
        #expect(ConfigError(file: "f.yaml", line: 0, column: 0, path: "", message: "m").description == "f.yaml: m")
        #expect(ConfigError(file: "f.yaml", line: 3, column: 0, path: "a.b", message: "m").description == "f.yaml:3: a.b: m")
    }
}
