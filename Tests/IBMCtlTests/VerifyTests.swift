import Foundation
import GRDB
import Testing

@Suite("verify")
struct VerifyTests {
    static let count = 40

    /// A journal of `count` records, changed by `sql` (nil: left as written).
    func journal(_ folder: TemporaryFolder, tamper sql: String? = nil, flipByteOf seq: Int? = nil) throws -> (String, [UInt8]) {
        let path = folder.file("journal.sqlite")
        let head = try JournalFixtures.write(to: path, count: Self.count)
        if sql != nil || seq != nil {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                if let sql { try db.execute(sql: sql) }
                if let seq {
                    var body = try [UInt8](Data.fetchOne(db, sql: "SELECT body FROM records WHERE seq = ?", arguments: [seq]) ?? Data())
                    body[body.count / 2] ^= 0x20
                    try db.execute(sql: "UPDATE records SET body = ? WHERE seq = ?", arguments: [Data(body), seq])
                }
            }
            try queue.close()
        }
        return (path, head)
    }

    @Test("a good journal passes, with its count, range and head hash")
    func good() throws {
        let folder = try TemporaryFolder()
        let (path, head) = try journal(folder)
        let result = try ibmctl(["verify", "--journal", path])
        #expect(result.status == 0)
        let hex = head.map { String(format: "%02x", $0) }.joined()
        #expect(result.stdout == "ok: \(Self.count) records, seq 1..\(Self.count), head hash \(hex)\n")
    }

    @Test("one altered byte is found at its seq")
    func alteredByte() throws {
        let folder = try TemporaryFolder()
        let (path, _) = try journal(folder, flipByteOf: 17)
        let result = try ibmctl(["verify", "--journal", path])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("bad: seq 17 is altered"))
    }

    @Test("a deleted record is reported missing at its seq")
    func deleted() throws {
        let folder = try TemporaryFolder()
        let (path, _) = try journal(folder, tamper: "DELETE FROM records WHERE seq = 23")
        let result = try ibmctl(["verify", "--journal", path])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("bad: seq 23 is missing"))
    }

    @Test("two swapped records are out of order at the lower seq")
    func swapped() throws {
        let folder = try TemporaryFolder()
        let (path, _) = try journal(folder, tamper: """
            UPDATE records SET seq = -1 WHERE seq = 11;
            UPDATE records SET seq = 11 WHERE seq = 12;
            UPDATE records SET seq = 12 WHERE seq = -1;
            """)
        let result = try ibmctl(["verify", "--journal", path])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("bad: seq 11 is out of order"))
        #expect(result.stdout.contains("12"))
    }

    @Test("a file that is not a journal is a usage error")
    func notAJournal() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("notes.txt")
        try "not a database".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ibmctl(["verify", "--journal", path]).status == 2)
        #expect(try ibmctl(["verify", "--journal", folder.file("absent.sqlite")]).status == 2)
    }
}
