import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real process started by a test, with its output captured to a file.
public final class ChildProcess {
    public let process: Process
    public let logURL: URL

    public init(_ executable: URL, _ arguments: [String], logURL: URL, environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logURL)
        try handle.seekToEnd()
        process.standardOutput = handle
        process.standardError = handle
        self.logURL = logURL
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGKILL and reap.
    public func kill9() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if it has not exited within `graceSeconds`.
    @discardableResult
    public func terminate(graceSeconds: Double = 10) -> Int32 {
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill9() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Runs a command to completion and returns its exit code and output.
public func runCommand(_ executable: URL, _ arguments: [String], stdin: Data? = nil, timeoutSeconds: Double = 120)
    throws -> (status: Int32, stdout: String, stderr: String)
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so a full pipe never blocks the child.
    let stdoutData = LockedData()
    let reader = Thread { stdoutData.set(out.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning, Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    while !stdoutData.isSet { usleep(1000) }
    return (process.terminationStatus, String(decoding: stdoutData.value, as: UTF8.self), String(decoding: stderrData, as: UTF8.self))
}

/// Data handed from the reader thread to the waiting caller, once.
private final class LockedData: Sendable {
    private let state = Mutex<(data: Data, done: Bool)>((Data(), false))
    func set(_ value: Data) { state.withLock { $0 = (value, true) } }
    var isSet: Bool { state.withLock { $0.done } }
    var value: Data { state.withLock { $0.data } }
}
