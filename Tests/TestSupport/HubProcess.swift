import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An `ibm-hub` process on free loopback ports, with its data in a temporary folder.
public final class HubProcess {
    public let ingestPort: Int
    public let feedPort: Int
    public let syncPort: Int
    public let httpPort: Int
    public let directory: URL
    public let configURL: URL
    public private(set) var child: ChildProcess?
    public private(set) var starts = 0

    public var journalPath: String { directory.appendingPathComponent("data/journal.sqlite").path }

    /// Writes a config with `extraYAML` appended (top-level keys other than endpoints and data_dir).
    public init(label: String = "hub", durability: String = "os", checkpointEvery: Int = 100_000, extraYAML: String = "") throws {
        let ports = FreePorts.take(4)
        (ingestPort, feedPort, syncPort, httpPort) = (ports[0], ports[1], ports[2], ports[3])
        directory = try TestPaths.temporaryDirectory(label)
        configURL = directory.appendingPathComponent("hub.yaml")
        let yaml = """
        endpoints:
          ingest: tcp://127.0.0.1:\(ingestPort)
          feed: tcp://127.0.0.1:\(feedPort)
          sync: tcp://127.0.0.1:\(syncPort)
          http: 127.0.0.1:\(httpPort)
        data_dir: \(directory.appendingPathComponent("data").path)
        journal:
          durability: \(durability)
          checkpoint_every: \(checkpointEvery)
        picture:
          rules: \(TestPaths.repository.appendingPathComponent("Config/correlation.yaml").path)
          expire_every: 1h
        \(extraYAML)
        """
        try yaml.write(to: configURL, atomically: true, encoding: .utf8)
    }

    /// Starts the hub (insecure, loopback) and waits until `/healthz` says ok.
    public func start(arguments: [String] = ["--insecure"], timeoutSeconds: Double = 60) throws {
        starts += 1
        let log = directory.appendingPathComponent("hub-\(starts).log")
        child = try ChildProcess(TestPaths.executable("ibm-hub"), ["--config", configURL.path] + arguments, logURL: log)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let child, !child.isRunning {
                throw TestFailure("ibm-hub exited during start-up:\n\(child.log)")
            }
            if Self.httpStatus(port: httpPort, path: "/healthz") == 200 { return }
            usleep(50_000)
        }
        throw TestFailure("ibm-hub did not become healthy within \(timeoutSeconds) s:\n\(child?.log ?? "")")
    }

    public func kill9() { child?.kill9() }

    @discardableResult
    public func stop() -> Int32 { child?.terminate() ?? 0 }

    public var log: String { child?.log ?? "" }

    /// GET over a plain socket, so tests need no HTTP client: the status code, or nil.
    public static func httpStatus(port: Int, path: String) -> Int? {
        httpGet(port: port, path: path)?.status
    }

    public static func httpGet(port: Int, path: String) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 "), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    deinit {
        child?.kill9()
        try? FileManager.default.removeItem(at: directory)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
