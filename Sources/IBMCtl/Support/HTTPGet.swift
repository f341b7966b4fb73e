import Foundation

/// A minimal blocking HTTP/1.1 client, enough for the hub's `/healthz` and `/metrics` and
/// the agency daemons' intake (no TLS, no redirects, one request per connection): the CLI
/// stays synchronous and needs no networking stack.
enum HTTPGet {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Fetches `http://host:port/path`, failing after `timeoutMilliseconds` of silence.
    static func fetch(host: String, port: Int, path: String, timeoutMilliseconds: Int = 3000) throws(Failure) -> Response {
        try request("GET", host: host, port: port, path: path, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Sends `method` with `body` (when not nil, with `contentType`) and reads the whole response.
    static func request(
        _ method: String, host: String, port: Int, path: String, body: [UInt8]? = nil,
        contentType: String = "application/json", timeoutMilliseconds: Int = 3000
    ) throws(Failure) -> Response {
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(bareHost, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }

        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int(timeoutMilliseconds % 1000) * 1000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: ibmctl\r\nAccept: */*\r\n"
            if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
            let bytes = Array((head + "Connection: close\r\n\r\n").utf8) + (body ?? [])
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes { raw in
                    raw.baseAddress.map { send(descriptor, $0 + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) } ?? -1
                }
                if sent < 0, errno == EINTR { continue }
                guard sent > 0 else {
                    throw Failure(description: "sending to \(host):\(port) failed: \(String(cString: strerror(errno)))")
                }
                offset += sent
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
                if count == 0 { break }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "reading from \(host):\(port) failed: \(String(cString: strerror(errno)))")
                }
                received.append(contentsOf: buffer[0..<count])
                guard received.count <= 64 << 20 else { throw Failure(description: "the response is larger than 64 MB") }
                if let response = try parse(received, complete: false) { return response }
            }
            guard let response = try parse(received, complete: true) else {
                throw Failure(description: "\(host):\(port) closed the connection before a full HTTP response")
            }
            return response
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    /// The response, once `data` holds all of it (by Content-Length, chunked encoding or end of stream).
    static func parse(_ data: [UInt8], complete: Bool) throws(Failure) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headerEnd = firstIndex(of: separator, in: data, from: 0) else {
            if complete { throw Failure(description: "malformed HTTP response") }
            return nil
        }
        let head = String(decoding: data[0..<headerEnd], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw Failure(description: "malformed HTTP status line: \(lines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = Array(data[(headerEnd + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let decoded = try dechunk(body) else {
                if complete { throw Failure(description: "truncated chunked HTTP body") }
                return nil
            }
            return Response(status: status, body: decoded)
        }
        if let lengthText = headers["content-length"], let length = Int(lengthText) {
            if body.count >= length { return Response(status: status, body: Array(body.prefix(length))) }
            if complete { throw Failure(description: "truncated HTTP body") }
            return nil
        }
        return complete ? Response(status: status, body: body) : nil
    }

    /// The body of a complete chunked encoding, or nil if more bytes are needed.
    static func dechunk(_ data: [UInt8]) throws(Failure) -> [UInt8]? {
        var output: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = firstIndex(of: [13, 10], in: data, from: index) else { return nil }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "malformed chunk size in HTTP body")
            }
            let start = lineEnd + 2
            if size == 0 { return output }
            guard data.count >= start + size + 2 else { return nil }
            output.append(contentsOf: data[start..<start + size])
            index = start + size + 2
        }
    }

    static func firstIndex(of pattern: [UInt8], in data: [UInt8], from start: Int) -> Int? {
        guard data.count >= pattern.count, start <= data.count - pattern.count else { return nil }
        for index in start...(data.count - pattern.count) where data[index] == pattern[0] {
            if Array(data[index..<index + pattern.count]) == pattern { return index }
        }
        return nil
    }
}
