import Foundation
import TestSupport
import Testing

/// Runs a command to completion with extra environment; output goes to a log file that the
/// result returns (no pipe can fill up).
func runLogged(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
               in folder: URL, label: String, timeoutSeconds: Double = 120) throws -> (status: Int32, output: String)
{
    let log = folder.appendingPathComponent("\(label).log")
    let child = try ChildProcess(URL(fileURLWithPath: executable), arguments, logURL: log, environment: environment)
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while child.isRunning, Date() < deadline { usleep(20_000) }
    if child.isRunning {
        let status = child.terminate(graceSeconds: 5)
        throw TestFailure("\(label) did not finish within \(timeoutSeconds) s (status \(status)):\n\(child.log.suffix(3000))")
    }
    child.process.waitUntilExit()
    return (child.process.terminationStatus, child.log)
}

/// Whether something accepts TCP connections on 127.0.0.1:`port` in this network namespace.
func listening(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// Processes that hold a file open under `folder`, or name it on their command line:
/// `pid: command line`.
func processesUsing(_ folder: String) -> [String] {
    var found: [String] = []
    let me = getpid()
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), pid != me else { continue }
        let commandLine = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        var uses = commandLine.contains(folder)
        if !uses {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            uses = descriptors.contains { descriptor in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)"))?.hasPrefix(folder) ?? false
            }
        }
        if uses { found.append("\(pid): \(commandLine)") }
    }
    return found
}
