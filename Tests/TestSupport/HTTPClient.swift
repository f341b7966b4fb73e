import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a plain loopback socket, so tests need no HTTP library.
public enum HTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// One request with `Connection: close`; nil if nothing answered (connection refused, timeout).
    public static func request(_ method: String, port: Int, path: String, headers: [String: String] = [:],
                               body: [UInt8] = [], timeoutSeconds: Int = 30) -> Response? {
        guard let fd = connectLoopback(port: port, timeoutSeconds: timeoutSeconds) else { return nil }
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        guard sendAll(fd, Array(head.utf8) + body) else { return nil }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return parse(response)
    }

    /// Reads a Server-Sent Events stream until `done` says so or the time is up; returns the events seen.
    public static func events(port: Int, path: String, headers: [String: String] = [:], timeoutSeconds: Double,
                              done: ([ServerSentEvent]) -> Bool) -> [ServerSentEvent] {
        guard let fd = connectLoopback(port: port, timeoutSeconds: 1) else { return [] }
        defer { close(fd) }
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        guard sendAll(fd, Array((head + "\r\n").utf8)) else { return [] }
        var raw = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var events: [ServerSentEvent] = []
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            if count > 0 { raw += buffer[0..<count] }
            events = ServerSentEvent.parse(dechunk(raw))
            if done(events) { break }
        }
        return events
    }

    private static func connectLoopback(port: Int, timeoutSeconds: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    static func parse(_ response: [UInt8]) -> Response? {
        guard let split = find([13, 10, 13, 10], in: response[...]) else { return nil }
        let head = String(decoding: response[..<split], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 "), let status = Int(head.dropFirst(9).prefix(3)) else { return nil }
        var headers: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = response[(split + 4)...]
        if headers["transfer-encoding"] == "chunked" { body = dechunkBody(body) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// The body of a raw (possibly unfinished) response, without the status and headers.
    private static func dechunk(_ raw: [UInt8]) -> String {
        guard let split = find([13, 10, 13, 10], in: raw[...]) else { return "" }
        let head = String(decoding: raw[..<split], as: UTF8.self).lowercased()
        let body = raw[(split + 4)...]
        return String(decoding: head.contains("transfer-encoding: chunked") ? dechunkBody(body) : body, as: UTF8.self)
    }

    /// Joins the chunks of a chunked body (an unfinished last chunk is kept as far as it came).
    private static func dechunkBody(_ body: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var rest = body
        var out: [UInt8] = []
        while let lineEnd = find([13, 10], in: rest),
              let size = Int(String(decoding: rest[rest.startIndex..<lineEnd], as: UTF8.self), radix: 16), size > 0 {
            let start = lineEnd + 2
            let end = min(start + size, rest.endIndex)
            out += rest[start..<end]
            rest = rest[min(end + 2, rest.endIndex)...]
        }
        return out[...]
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

/// One Server-Sent Event.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String

    static func parse(_ text: String) -> [ServerSentEvent] {
        var result: [ServerSentEvent] = []
        // Only complete events (ended by a blank line).
        let blocks = text.components(separatedBy: "\n\n").dropLast()
        for block in blocks {
            var event = ServerSentEvent(id: nil, event: nil, data: "")
            var hasField = false
            for line in block.split(separator: "\n") {
                if line.hasPrefix(":") { continue }
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)); hasField = true }
                if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)); hasField = true }
                if line.hasPrefix("data: ") { event.data += String(line.dropFirst(6)); hasField = true }
            }
            if hasField && (event.id != nil || event.event != nil) { result.append(event) }
        }
        return result
    }
}
