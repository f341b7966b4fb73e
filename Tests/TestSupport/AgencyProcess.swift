import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An agency daemon (`ibm-border`, `ibm-migration`, `ibm-customs`) on a free loopback port,
/// connected to a `HubProcess`, with its data in a temporary folder. Its configuration is the
/// repository's `Config/<agency>.yaml` with the ports and folder replaced, so tests run the
/// shipped profile.
public final class AgencyProcess {
    public let agency: String
    public let httpPort: Int
    public let directory: URL
    public let configURL: URL
    public private(set) var child: ChildProcess?
    public private(set) var starts = 0

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var outboxPath: String { dataDirectory.appendingPathComponent("outbox.sqlite").path }
    public var spool: URL { dataDirectory.appendingPathComponent("spool") }

    /// Folder of `<agency>.key` and `hub.pub` for CURVE; nil runs with `--insecure`.
    public let keyDirectory: URL?

    /// `outbox` lines replace the defaults of the `outbox:` section (e.g. `["resend_after: 1s"]`).
    public init(_ agency: String, hub: HubProcess, outbox: [String] = [], keyDirectory: URL? = nil) throws {
        self.agency = agency
        self.keyDirectory = keyDirectory
        httpPort = FreePorts.take(1)[0]
        directory = try TestPaths.temporaryDirectory(agency)
        configURL = directory.appendingPathComponent("\(agency).yaml")
        let shipped = try String(contentsOf: TestPaths.repository.appendingPathComponent("Config/\(agency).yaml"), encoding: .utf8)
        var lines: [String] = []
        for line in shipped.components(separatedBy: "\n") {
            let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
            switch key {
            case "listen": lines.append("  listen: 127.0.0.1:\(httpPort)")
            case "ingest_port": lines.append("  ingest_port: \(hub.ingestPort)")
            case "feed_port": lines.append("  feed_port: \(hub.feedPort)")
            case "sync_port": lines.append("  sync_port: \(hub.syncPort)")
            case "scan_every": lines.append("  scan_every: 100ms")
            case "key_dir" where keyDirectory != nil: lines.append("  key_dir: \(keyDirectory?.path ?? "")")
            case "outbox" where line.hasPrefix("outbox:"):
                lines.append(line)
                lines += outbox.map { "  " + $0 }
            default:
                let overridden = outbox.contains { $0.split(separator: ":").first.map(String.init) == key }
                if !(overridden && line.hasPrefix("  ")) { lines.append(line) }
            }
        }
        try lines.joined(separator: "\n").write(to: configURL, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon (CURVE with `keyDirectory`, else insecure) and waits until `/healthz` answers 200.
    public func start(timeoutSeconds: Double = 60) throws {
        starts += 1
        let log = directory.appendingPathComponent("\(agency)-\(starts).log")
        child = try ChildProcess(
            TestPaths.executable("ibm-\(agency)"),
            ["--config", configURL.path, "--data", dataDirectory.path] + (keyDirectory == nil ? ["--insecure"] : []), logURL: log)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let child, !child.isRunning { throw TestFailure("ibm-\(agency) exited during start-up:\n\(child.log)") }
            if get("/healthz")?.status == 200 { return }
            usleep(50_000)
        }
        throw TestFailure("ibm-\(agency) did not become healthy within \(timeoutSeconds) s:\n\(child?.log ?? "")")
    }

    public func kill9() { child?.kill9() }

    @discardableResult
    public func stop() -> Int32 { child?.terminate() ?? 0 }

    public var log: String { child?.log ?? "" }

    public func get(_ path: String, headers: [String: String] = [:]) -> HTTPClient.Response? {
        HTTPClient.request("GET", port: httpPort, path: path, headers: headers, timeoutSeconds: 10)
    }

    public func post(_ body: String, contentType: String = "application/json") -> HTTPClient.Response? {
        HTTPClient.request("POST", port: httpPort, path: "/v1/alerts", headers: ["Content-Type": contentType],
                           body: Array(body.utf8), timeoutSeconds: 60)
    }

    /// `/healthz` as a JSON object.
    public func health() -> [String: Any]? {
        guard let body = get("/healthz")?.body.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }

    /// Waits until `/healthz` satisfies `condition`; false at the deadline.
    public func wait(seconds: Double, until condition: ([String: Any]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let health = health(), condition(health) { return true }
            usleep(100_000)
        }
        return false
    }

    deinit {
        child?.kill9()
        try? FileManager.default.removeItem(at: directory)
    }
}
