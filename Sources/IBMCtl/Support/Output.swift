import Foundation

/// Writes to a file descriptor through a buffer, so that millions of lines cost few system calls.
///
/// Confined to one thread, like the command that owns it.
final class BufferedOutput {
    let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    init(fileDescriptor: Int32, capacity: Int = 64 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    deinit { flush() }

    /// Standard output.
    static func standardOutput(capacity: Int = 64 * 1024) -> BufferedOutput {
        BufferedOutput(fileDescriptor: 1, capacity: capacity)
    }

    /// Whether the descriptor is a terminal.
    var isTerminal: Bool { isatty(fileDescriptor) == 1 }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { flush() }
    }

    func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    /// Appends one line (the bytes and a newline).
    func writeLine(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= capacity { flush() }
    }

    /// Appends one line that `body` writes straight into the buffer, and a newline; when
    /// `body` throws, nothing of the line is kept.
    func writeLine(_ body: (inout [UInt8]) throws -> Void) rethrows {
        let start = buffer.count
        do {
            try body(&buffer)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
        buffer.append(0x0A)
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in writeAll(fileDescriptor, raw) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Unbuffered messages on stderr (diagnostics, progress).
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in writeAll(2, UnsafeRawBufferPointer(raw)) }
    }

    static var isTerminal: Bool { isatty(2) == 1 }
}

/// Writes every byte, retrying after signals and short writes. A closed pipe ends the
/// process through SIGPIPE, as `head` expects.
func writeAll(_ fileDescriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
    guard var pointer = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
        let written = Foundation.write(fileDescriptor, pointer, remaining)
        if written < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            return
        }
        remaining -= written
        pointer = pointer.advanced(by: written)
    }
}

/// The terminal's width and height in characters, if `fileDescriptor` is a terminal.
func terminalSize(_ fileDescriptor: Int32) -> (columns: Int, rows: Int)? {
    var size = winsize()
    guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
    return (Int(size.ws_col), Int(size.ws_row))
}
