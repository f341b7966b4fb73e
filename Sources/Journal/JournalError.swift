import GRDB

/// A journal operation that failed: what, on which file, and SQLite's own words.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// The class of failure, for callers that react differently (e.g. nack `unavailable` on ``diskFull``).
    public enum Code: String, Sendable, Equatable {
        /// The file is not an SQLite database, or not a journal.
        case notAJournal
        /// The journal was written by a newer schema version.
        case newerSchema
        /// The file could not be opened (missing, permissions).
        case cannotOpen
        /// A record's seq is not the next one.
        case sequence
        /// An alert with the same (origin, alert id) is already journaled.
        case duplicateAlert
        /// SQLITE_FULL / ENOSPC: the disk (or the database's size limit) is full.
        case diskFull
        /// The journal's contents are inconsistent (e.g. records removed behind the writer's back).
        case corrupt
        /// A parameter is out of range.
        case invalidArgument
        /// The writer or reader was closed.
        case closed
        /// Any other SQLite failure (see ``JournalError/sqliteCode``).
        case sqlite
    }

    /// The class of failure.
    public var code: Code
    /// What was being done: "open", "append", "scan", …
    public var operation: String
    /// The journal file.
    public var path: String
    /// Human-readable explanation.
    public var message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public var sqliteCode: Int32?
    /// SQLite's error message, when SQLite reported the failure.
    public var sqliteMessage: String?

    /// Creates an error.
    public init(
        _ code: Code, operation: String, path: String, message: String,
        sqliteCode: Int32? = nil, sqliteMessage: String? = nil
    ) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message
        self.sqliteCode = sqliteCode
        self.sqliteMessage = sqliteMessage
    }

    /// True when the disk is full (SQLITE_FULL / ENOSPC): the hub should nack `unavailable`.
    public var isDiskFull: Bool { code == .diskFull }

    /// "journal <path>: <operation> failed: <message> (SQLite <code>: <message>)".
    public var description: String {
        var text = "journal \(path): \(operation) failed: \(message)"
        if let sqliteCode {
            text += " (SQLite error \(sqliteCode)"
            if let sqliteMessage { text += ": \(sqliteMessage)" }
            text += ")"
        }
        return text
    }

    /// Maps any error thrown inside a journal operation to a `JournalError`.
    static func wrap(_ error: any Error, operation: String, path: String) -> JournalError {
        if let error = error as? JournalError { return error }
        if let dbError = error as? DatabaseError {
            let primary = dbError.resultCode
            let sqliteMessage = dbError.message
            let extended = dbError.extendedResultCode.rawValue
            switch primary {
            case .SQLITE_FULL:
                return JournalError(.diskFull, operation: operation, path: path,
                                    message: "the disk is full", sqliteCode: extended, sqliteMessage: sqliteMessage)
            case .SQLITE_NOTADB:
                return JournalError(.notAJournal, operation: operation, path: path,
                                    message: "the file is not an SQLite database, so not a journal",
                                    sqliteCode: extended, sqliteMessage: sqliteMessage)
            case .SQLITE_CANTOPEN:
                return JournalError(.cannotOpen, operation: operation, path: path,
                                    message: "cannot open the file (missing, or no permission)",
                                    sqliteCode: extended, sqliteMessage: sqliteMessage)
            case .SQLITE_CONSTRAINT where (sqliteMessage ?? "").contains("alert_id"):
                return JournalError(.duplicateAlert, operation: operation, path: path,
                                    message: "an alert with this (origin, alert id) is already journaled",
                                    sqliteCode: extended, sqliteMessage: sqliteMessage)
            case .SQLITE_CORRUPT:
                return JournalError(.corrupt, operation: operation, path: path,
                                    message: "the database file is corrupt", sqliteCode: extended, sqliteMessage: sqliteMessage)
            default:
                if primary == .SQLITE_IOERR, (sqliteMessage ?? "").lowercased().contains("no space") {
                    return JournalError(.diskFull, operation: operation, path: path,
                                        message: "the disk is full", sqliteCode: extended, sqliteMessage: sqliteMessage)
                }
                return JournalError(.sqlite, operation: operation, path: path,
                                    message: "SQLite reported an error", sqliteCode: extended, sqliteMessage: sqliteMessage)
            }
        }
        return JournalError(.sqlite, operation: operation, path: path, message: String(describing: error))
    }
}
