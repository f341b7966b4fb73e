import Foundation

/// Reads a SQLite WAL file's frame headers (https://sqlite.org/fileformat2.html#walformat)
/// to tell whether a kill left a torn tail: frames of the current generation after the last
/// commit frame, or a partly written frame.
struct WALTail {
    var frames = 0
    var framesAfterLastCommit = 0
    var partialBytes = 0

    var isTorn: Bool { framesAfterLastCommit > 0 || partialBytes > 0 }

    static func inspect(path: String) -> WALTail {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 32 else { return WALTail() }
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        let pageSize = Int(u32(8))
        guard pageSize >= 512 else { return WALTail() }
        let salt = (u32(16), u32(20))
        var tail = WALTail()
        var offset = 32
        let frameSize = 24 + pageSize
        while offset + frameSize <= bytes.count {
            // A frame of an older generation (salts differ) ends the current one.
            guard (u32(offset + 8), u32(offset + 12)) == salt else { return tail }
            tail.frames += 1
            tail.framesAfterLastCommit = u32(offset + 4) != 0 ? 0 : tail.framesAfterLastCommit + 1
            offset += frameSize
        }
        tail.partialBytes = bytes.count - offset
        return tail
    }
}

extension WALTail {
    /// Bytes `pid` has written with write()/pwrite() so far (`wchar` in /proc/<pid>/io); nil if unreadable.
    static func bytesWritten(pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/io") else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("wchar:") {
            return UInt64(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Returns at the next page-sized write of `pid` (SQLite writes a commit's WAL frames one page
    /// at a time, the commit frame last), or after `timeout` seconds; false if none was seen.
    static func waitForPageWrite(pid: Int32, timeout: Double) -> Bool {
        let deadline = monotonicSeconds() + timeout
        guard var previous = bytesWritten(pid: pid) else { return false }
        while monotonicSeconds() < deadline {
            guard let current = bytesWritten(pid: pid) else { return false }
            if current >= previous + 4096 { return true }
            previous = current
        }
        return false
    }
}
