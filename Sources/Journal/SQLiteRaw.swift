import GRDB
import GRDBSQLite

/// The current row of a stepped statement, read with the SQLite C API (no per-column allocation).
struct RawRow {
    let handle: OpaquePointer

    /// SQLite fundamental type of a column (SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB, …).
    @inline(__always) func type(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    @inline(__always) func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The column's bytes as text (UTF-8); valid until the next step.
    @inline(__always) func textBytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let pointer, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    /// The column's bytes as a blob; valid until the next step.
    @inline(__always) func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let pointer, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    @inline(__always) func string(_ column: Int32) -> String {
        let raw = textBytes(column)
        if raw.isEmpty { return "" }
        return String(decoding: raw, as: UTF8.self)
    }

    @inline(__always) func bytes(_ column: Int32) -> [UInt8] {
        let raw = blobBytes(column)
        if raw.isEmpty { return [] }
        return [UInt8](raw)
    }

    /// Decodes the 12 `records` columns (``JournalSchema/recordColumns`` order); nil if `kind` is unknown.
    func record() -> JournalRecord? {
        let kindValue = int64(1)
        guard kindValue >= 0, kindValue <= 255, let kind = RecordKind(rawValue: UInt8(kindValue)) else { return nil }
        return JournalRecord(
            seq: UInt64(bitPattern: int64(0)),
            kind: kind,
            recordedAt: int64(2),
            observedAt: int64(3),
            origin: string(4),
            alertID: string(5),
            category: string(6),
            incidentID: string(7),
            msgType: string(8),
            sector: string(9),
            body: bytes(10),
            hash: bytes(11)
        )
    }
}

extension Database {
    /// Steps an already-bound statement, calling `visit` for each row until it returns false;
    /// always resets the statement afterwards.
    func forEachRawRow(_ statement: Statement, _ visit: (RawRow) throws -> Bool) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        let row = RawRow(handle: handle)
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw stepError(rc, statement) }
            if try !visit(row) { return }
        }
    }

    /// Steps a bound INSERT/UPDATE/DELETE once and resets it.
    func stepDone(_ statement: Statement) throws {
        let handle = statement.sqliteStatement
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE else {
            let error = stepError(rc, statement)
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }

    private func stepError(_ rc: Int32, _ statement: Statement) -> DatabaseError {
        let message = sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: statement.sql)
    }
}
