import Foundation
import Yams

/// One node of a parsed YAML configuration file, with its position and key path,
/// and typed accessors that fail with a located `ConfigError`.
///
/// Yams' own nodes are not `Sendable` and lose the key path, so the document is copied
/// once into this small tree; configurations are tiny and read at start only.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        /// `quoted` is true for '…' and "…" scalars, which are never null.
        case scalar(String, quoted: Bool)
        case mapping([ConfigEntry])
        case sequence([ConfigNode])
        case null
    }

    public let value: Value
    public let file: String
    public let path: String
    public let line: Int
    public let column: Int

    public init(value: Value, file: String, path: String, line: Int, column: Int) {
        self.value = value
        self.file = file
        self.path = path
        self.line = line
        self.column = column
    }

    // MARK: Loading

    /// Reads and parses a YAML file; the file name in errors is `path` as given.
    public static func load(path: String) throws(ConfigError) -> ConfigNode {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, column: 0, path: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Parses one YAML document. An empty document is a null node.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(yaml: error, file: file)
        } catch {
            throw ConfigError(file: file, line: 0, column: 0, path: "", message: "\(error)")
        }
        guard let root else { return ConfigNode(value: .null, file: file, path: "", line: 1, column: 1) }
        return try convert(root, file: file, path: "")
    }

    private static func convert(_ node: Node, file: String, path: String) throws(ConfigError) -> ConfigNode {
        let line = node.mark?.line ?? 0
        let column = node.mark?.column ?? 0
        switch node {
        case let .scalar(scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            let isNull = !quoted && scalar.style != .literal && scalar.style != .folded
                && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            return ConfigNode(value: isNull ? .null : .scalar(scalar.string, quoted: quoted),
                              file: file, path: path, line: line, column: column)
        case let .mapping(mapping):
            var entries: [ConfigEntry] = []
            var seen: Set<String> = []
            for (keyNode, valueNode) in mapping {
                guard case let .scalar(keyScalar) = keyNode else {
                    throw ConfigError(file: file, line: keyNode.mark?.line ?? line, column: keyNode.mark?.column ?? column,
                                      path: path, message: "keys must be plain strings")
                }
                let key = keyScalar.string
                let childPath = path.isEmpty ? key : path + "." + key
                let keyLine = keyNode.mark?.line ?? line
                let keyColumn = keyNode.mark?.column ?? column
                guard seen.insert(key).inserted else {
                    throw ConfigError(file: file, line: keyLine, column: keyColumn, path: childPath, message: "is given twice")
                }
                let child = try convert(valueNode, file: file, path: childPath)
                entries.append(ConfigEntry(key: key, line: keyLine, column: keyColumn, node: child))
            }
            return ConfigNode(value: .mapping(entries), file: file, path: path, line: line, column: column)
        case let .sequence(sequence):
            var children: [ConfigNode] = []
            for (index, element) in sequence.enumerated() {
                children.append(try convert(element, file: file, path: path + "[\(index)]"))
            }
            return ConfigNode(value: .sequence(children), file: file, path: path, line: line, column: column)
        case .alias:
            throw ConfigError(file: file, line: line, column: column, path: path, message: "YAML aliases are not supported here")
        }
    }

    // MARK: Errors

    /// An error located at this node, for checks that the typed accessors do not cover.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, path: path, message: message)
    }

    private var found: String {
        switch value {
        case let .scalar(text, _): "\"\(text)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .null: "nothing"
        }
    }

    // MARK: Structure

    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The text of a scalar, or nil for mappings, lists and null.
    public var scalarText: String? {
        if case let .scalar(text, _) = value { return text }
        return nil
    }

    /// The entries of a mapping in file order, with any keys.
    public func entries() throws(ConfigError) -> [ConfigEntry] {
        guard case let .mapping(entries) = value else { throw error("expected a mapping, found \(found)") }
        return entries
    }

    /// The entries of a mapping by key; a key outside `allowedKeys` fails at that key's position.
    public func mapping(allowedKeys: Set<String>) throws(ConfigError) -> [String: ConfigNode] {
        var result: [String: ConfigNode] = [:]
        for entry in try entries() {
            guard allowedKeys.contains(entry.key) else {
                throw ConfigError(file: file, line: entry.line, column: entry.column, path: entry.node.path,
                                  message: "unknown key; expected one of \(allowedKeys.sorted().joined(separator: ", "))")
            }
            result[entry.key] = entry.node
        }
        return result
    }

    /// `map[key]`, or an error at this (the mapping's) node naming the missing key.
    public func required(_ key: String, in map: [String: ConfigNode]) throws(ConfigError) -> ConfigNode {
        guard let node = map[key], !node.isNull else {
            let keyPath = path.isEmpty ? key : path + "." + key
            throw ConfigError(file: file, line: map[key]?.line ?? line, column: map[key]?.column ?? column,
                              path: keyPath, message: "is required")
        }
        return node
    }

    /// The elements of a list.
    public func array() throws(ConfigError) -> [ConfigNode] {
        guard case let .sequence(children) = value else { throw error("expected a list, found \(found)") }
        return children
    }

    // MARK: Scalars

    public func string() throws(ConfigError) -> String {
        guard case let .scalar(text, _) = value else { throw error("expected a string, found \(found)") }
        return text
    }

    public func strings() throws(ConfigError) -> [String] {
        var result: [String] = []
        for element in try array() { result.append(try element.string()) }
        return result
    }

    /// The scalar, which must be one of `choices`.
    public func oneOf(_ choices: [String]) throws(ConfigError) -> String {
        let text = try string()
        guard choices.contains(text) else { throw error("\"\(text)\" is not one of \(choices.joined(separator: ", "))") }
        return text
    }

    public func bool() throws(ConfigError) -> Bool {
        switch try string() {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        // yes/no/on/off are booleans in YAML 1.1 only; asking for true/false avoids the ambiguity.
        case let other: throw error("\"\(other)\" is not a boolean; use true or false")
        }
    }

    public func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string()
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw error("\"\(text)\" is not a whole number")
        }
        guard range.contains(number) else { throw error("\(number) is outside \(range.lowerBound)...\(range.upperBound)") }
        return number
    }

    public func double(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let text = try string()
        guard let number = Double(text), number.isFinite else { throw error("\"\(text)\" is not a number") }
        guard range.contains(number) else { throw error("\(text) is outside \(range.lowerBound)...\(range.upperBound)") }
        return number
    }

    /// A duration written as numbers with units, e.g. `250ms`, `90s`, `45m`, `6h`, `7d` or `1h30m`.
    public func milliseconds() throws(ConfigError) -> Int64 {
        let text = try string()
        guard let value = ConfigNode.parseDuration(text) else {
            throw error("\"\(text)\" is not a duration; write a number and a unit (ms, s, m, h, d), e.g. 90s, 45m, 6h, 7d")
        }
        return value
    }

    public func duration() throws(ConfigError) -> Duration {
        .milliseconds(try milliseconds())
    }

    /// Milliseconds of a duration like `1h30m`, or nil; at most about 292 million years.
    public static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // "ms" is listed before "m", so the longer unit wins.
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = amount.multipliedReportingOverflow(by: scale)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow, !overflow2 else { return nil }
            total = sum
        }
        return total
    }
}

/// One `key: value` of a mapping, with the key's own position.
public struct ConfigEntry: Sendable {
    public let key: String
    public let line: Int
    public let column: Int
    public let node: ConfigNode
}

extension ConfigError {
    init(yaml error: YamlError, file: String) {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            self.init(file: file, line: mark.line, column: mark.column, path: "", message: "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            self.init(file: file, line: context.mark.line, column: context.mark.column, path: "",
                      message: "duplicate key \(duplicates.joined(separator: ", "))")
        case let .reader(problem, _, _, _):
            self.init(file: file, line: 0, column: 0, path: "", message: "cannot read the YAML: \(problem)")
        default:
            self.init(file: file, line: 0, column: 0, path: "", message: "invalid YAML: \(error)")
        }
    }
}
