import Foundation

/// A file, or standard input for `-`, read chunk by chunk; a descriptor it opened closes with it.
final class InputFile {
    struct ReadError: Error {
        var reason: String
    }

    private let fileDescriptor: Int32
    private let ownsDescriptor: Bool

    init(path: String) throws(CtlError) {
        if path == "-" {
            fileDescriptor = 0
            ownsDescriptor = false
        } else {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else {
                throw .usage("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            fileDescriptor = descriptor
            ownsDescriptor = true
        }
    }

    deinit {
        if ownsDescriptor { close(fileDescriptor) }
    }

    /// Fills the start of `chunk`; returns the byte count, 0 at the end of input.
    func read(into chunk: inout [UInt8]) throws(ReadError) -> Int {
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in Foundation.read(fileDescriptor, raw.baseAddress, raw.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ReadError(reason: "read failed: \(String(cString: strerror(errno)))")
        }
    }
}
