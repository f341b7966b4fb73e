import Foundation
import IBMProtocol
@testable import IBMCtl
import Testing

/// Where `swift build` put the executables: the folder of the test binary.
enum Products {
    static func folder(containing name: String) -> URL? {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.executableURL?.deletingLastPathComponent() ?? Bundle.main.bundleURL)
        for folder in candidates where FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(name).path) {
            return folder
        }
        return nil
    }

    static func ibmctl() throws -> URL {
        guard let folder = folder(containing: "ibmctl") else {
            throw TestFailure("ibmctl is not in the build products folder (\(CommandLine.arguments.first ?? "?"))")
        }
        return folder.appendingPathComponent("ibmctl")
    }

    /// `IBM_HUB_BINARY` if set (a scratch package can point at another build), else the products folder.
    static func hub() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["IBM_HUB_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestFailure("IBM_HUB_BINARY=\(path) is not an executable")
            }
            return URL(fileURLWithPath: path)
        }
        guard let folder = folder(containing: "ibm-hub") else {
            throw TestFailure("ibm-hub is not in the build products folder; build it, or set IBM_HUB_BINARY")
        }
        return folder.appendingPathComponent("ibm-hub")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A folder removed at the end of the test.
final class TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ibmctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A child process whose output goes to files (no pipe can fill up and stall it).
final class Child {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: URL, _ arguments: [String], stdin: String? = nil, in folder: TemporaryFolder) throws {
        let tag = UUID().uuidString.prefix(8)
        stdoutPath = folder.file("out-\(tag).txt")
        stderrPath = folder.file("err-\(tag).txt")
        guard FileManager.default.createFile(atPath: stdoutPath, contents: nil),
              FileManager.default.createFile(atPath: stderrPath, contents: nil)
        else { throw TestFailure("cannot create output files in \(folder.path)") }
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder.url
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        if let stdin {
            let inputPath = folder.file("in-\(tag).txt")
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: inputPath))
            process.standardInput = FileHandle(forReadingAtPath: inputPath)
        } else {
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// The exit status, or nil if it was still running after `seconds` (it is then killed).
    func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            stop()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits (bounded) until `condition` holds for the output so far.
    @discardableResult
    func waitForOutput(seconds: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(stdout) { return true }
            if !process.isRunning { return condition(stdout) }
            usleep(20_000)
        }
        return condition(stdout)
    }

    /// SIGTERM, then SIGKILL if it does not go within two seconds.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let hardDeadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < hardDeadline { usleep(10_000) }
    }

    deinit { stop() }
}

/// Runs `ibmctl` to completion (killed after `seconds`).
struct CLIResult {
    var status: Int32?
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

func ibmctl(_ arguments: [String], stdin: String? = nil, seconds: Double = 60, in folder: TemporaryFolder? = nil) throws -> CLIResult {
    let workspace = try folder ?? TemporaryFolder()
    let child = try Child(try Products.ibmctl(), arguments, stdin: stdin, in: workspace)
    let status = child.wait(seconds: seconds)
    return CLIResult(status: status, stdout: child.stdout, stderr: child.stderr)
}

/// A TCP port nobody listens on right now (the kernel picks it).
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// An `ibm-hub --insecure` on free loopback ports, with its data in a temporary folder.
final class HubUnderTest {
    let folder: TemporaryFolder
    let ingest: Int, feed: Int, sync: Int, http: Int
    let child: Child

    /// Nil for `--insecure`; else the folder of the CURVE keys made by `ibmctl keys generate`.
    let keyDirectory: String?

    var journalPath: String { folder.file("data/journal.sqlite") }

    /// Arguments that point ibmctl at this hub.
    var connection: [String] {
        ["--hub", "127.0.0.1", "--ingest-port", String(ingest), "--feed-port", String(feed),
         "--sync-port", String(sync), "--http-port", String(http)]
            + (keyDirectory.map { ["--key-dir", $0] } ?? ["--insecure"])
    }

    /// A hub with `--insecure`, or with CURVE keys for `identities` (name, role), all made with ibmctl.
    init(identities: [(String, String)]? = nil) throws {
        folder = try TemporaryFolder()
        let hub = try Products.hub()
        ingest = try freePort()
        feed = try freePort()
        sync = try freePort()
        http = try freePort()
        var config = """
            endpoints:
              ingest: tcp://127.0.0.1:\(ingest)
              feed: tcp://127.0.0.1:\(feed)
              sync: tcp://127.0.0.1:\(sync)
              http: 127.0.0.1:\(http)
            data_dir: \(folder.file("data"))
            journal:
              durability: os

            """
        var arguments = ["--insecure"]
        keyDirectory = identities == nil ? nil : folder.file("keys")
        if let identities, let keyDirectory {
            let server = try ibmctl(["keys", "generate", "--name", "hub", "--out", keyDirectory])
            guard server.status == 0 else { throw TestFailure("keys generate --name hub failed: \(server.stderr)") }
            config += "security:\n  server_secret_key_file: \(keyDirectory)/hub.key\nidentities:\n"
            for (name, role) in identities {
                let made = try ibmctl(["keys", "generate", "--name", name, "--role", role, "--out", keyDirectory])
                guard made.status == 0 else { throw TestFailure("keys generate --name \(name) failed: \(made.stderr)") }
                // The printed snippet, as an operator would paste it.
                config += made.lines.filter { $0.hasPrefix("  ") }.joined(separator: "\n") + "\n"
            }
            arguments = []
        }
        let configPath = folder.file("hub.yaml")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        child = try Child(hub, ["--config", configPath] + arguments, in: folder)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let response = try? HTTPGet.fetch(host: "127.0.0.1", port: http, path: "/healthz", timeoutMilliseconds: 500),
               response.status == 200 {
                return
            }
            guard child.process.isRunning else { break }
            usleep(100_000)
        }
        let log = child.stderr
        child.stop()
        throw TestFailure("ibm-hub did not answer /healthz with 200 within 30 s; its log:\n\(log.suffix(2000))")
    }

    deinit { child.stop() }
}

/// Test alerts in the JSON form, observed now so that no idle rule closes their incidents.
enum SampleAlerts {
    static let places: [(category: String, place: String, sector: String, lat: Double, lon: Double)] = [
        ("arms_trafficking", "Dehiba-Wazen BCP", "TN-LY", 32.01, 10.70),
        ("migrant_smuggling", "Sallum/Amsaad BCP", "LY-EG", 31.54, 25.15),
        ("illegal_fishing", "off Zuwara", "LY-SEA", 33.10, 12.05),
        ("drug_trafficking", "Ghadames", "LY-DZ", 30.13, 9.50),
        ("identity_fraud", "Mitiga airport", "LY-AIR", 32.89, 13.27),
    ]

    static func alert(_ index: Int, origin: String = "border", observedAt: String = RFC3339.format(
        .init(unixMilliseconds: (Int64(Date().timeIntervalSince1970) - 60) * 1000))
    ) -> String {
        let spot = places[index % places.count]
        let prefix = String(origin.prefix(3))
        return """
            {"id":"\(prefix)-\(String(format: "%06d", index))","origin":"\(origin)","msg_type":"alert",\
            "observed_at":"\(observedAt)","category":"\(spot.category)","severity":"severe",\
            "urgency":"immediate","certainty":"observed","tlp":"green",\
            "headline":"Test report \(index) at \(spot.place)",\
            "location":{"lat":\(spot.lat),"lon":\(spot.lon),"place":"\(spot.place)","sector":"\(spot.sector)"},\
            "subjects":[]}
            """
    }
}

/// Parses one JSON line, failing the test if it is not JSON.
func json(_ line: String) throws -> JSONValue {
    try JSONParser(maxDepth: 32, maxBytes: 1 << 20).parse(line)
}

func keys(_ value: JSONValue) -> [String] {
    guard case let .object(members) = value else { return [] }
    return members.map(\.key)
}

/// The text of a JSON string or number ("" for anything else).
func text(_ value: JSONValue?) -> String {
    switch value {
    case let .string(text)?, let .number(text)?: text
    default: ""
    }
}
