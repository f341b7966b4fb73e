/// A configuration problem, located so that an operator can go straight to it:
/// `Config/hub.yaml:12:3: journal.durability: "fsink" is not one of fsync, os`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem has no position (the file cannot be read).
    public var line: Int
    /// 1-based, counted in Unicode scalars; 0 when unknown.
    public var column: Int
    /// Key path such as `journal.durability` or `peers[2].key`; empty for the whole document.
    public var path: String
    public var message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file
        if line > 0 { location += ":\(line)" + (column > 0 ? ":\(column)" : "") }
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
