import ArgumentParser
import Foundation
import HubClient
import Journal

/// `ibmctl`: the operator and coordinator CLI of IBM Hub.
///
/// Exit codes are a contract for scripts: 0 ok, 1 the check failed, 2 usage or connection error.
public struct IBMCtlCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ibmctl",
        abstract: "Operate and watch IBM Hub: watch, replay, verify, publish, feed, keys, status, correlate.",
        discussion: """
            With no --hub, commands talk to the hub of `make demo` on 127.0.0.1 (ports 7701 ingest, \
            7702 feed, 7703 sync, 7780 http) as identity `coordinator`, with the keys in .dev/keys.

            Exit codes: 0 ok; 1 the check failed (verify found a bad record, publish left an alert \
            unanswered, status found the hub unhealthy); 2 usage or connection error.
            """,
        subcommands: [Watch.self, Replay.self, Verify.self, Publish.self, Feed.self, Keys.self, Status.self, Correlate.self])

    public init() {}

    /// Parses `arguments` (the process's own when nil), runs the command and exits with its code.
    ///
    /// Replaces `ParsableCommand.main()` so that usage errors exit 2, not 64, and the
    /// library's errors map onto the exit codes above.
    public static func main(_ arguments: [String]? = nil) -> Never {
        let code = run(arguments)
        Foundation.exit(code)
    }

    /// Runs the command and returns its exit code; messages go to stdout and stderr.
    static func run(_ arguments: [String]?) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let error as CtlError {
            StandardError.write("ibmctl: \(error.message)\n")
            return error.exitCode
        } catch let error as HubClientError {
            StandardError.write("ibmctl: \(error)\n")
            return 2
        } catch let error as JournalError {
            StandardError.write("ibmctl: \(error)\n")
            return 2
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version: ArgumentParser prints them on stdout and exits 0.
                exit(withError: error)
            }
            if code == .validationFailure {
                StandardError.write(fullMessage(for: error) + "\n")
                return 2
            }
            if error is ExitCode { return code.rawValue }
            // Anything else (a socket that cannot bind, a file that cannot be read) is an
            // environment problem, not a failed check.
            StandardError.write("ibmctl: \(fullMessage(for: error))\n")
            return 2
        }
    }
}
