import Foundation
import TestSupport
import Testing

/// `DEMO_HEADLESS=1 scripts/demo.sh` runs the whole network for a fixed time, then stops it:
/// afterwards no port of the demo is open and no process of it is left.
///
/// It runs on the debug build of `swift build` (DEMO_BIN), so CI builds in release mode
/// only when someone runs `make demo`.
@Suite struct DemoTests {
    static let ports = [7701, 7702, 7703, 7780, 7781, 7782, 7783]

    @Test func headlessDemoRunsTheNetworkAndLeavesNothingBehind() throws {
        if let busy = Self.ports.first(where: listening) {
            print("DemoTests: skipped: port \(busy) on 127.0.0.1 is in use (a demo or hub already runs here); "
                + "the demo needs its fixed ports \(Self.ports)")
            return
        }
        let data = try TestPaths.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: data) }
        let script = TestPaths.repository.appendingPathComponent("scripts/demo.sh").path
        let result = try runLogged("/bin/bash", [script], environment: [
            "DEMO_HEADLESS": "1", "DEMO_SECONDS": "20", "DEMO_BIN": TestPaths.products.path,
            "DEMO_DATA": data.path, "SPEED": "600",
        ], in: FileManager.default.temporaryDirectory, label: "demo-\(getpid())", timeoutSeconds: 240)
        #expect(result.status == 0, "demo.sh failed:\n\(result.output.suffix(4000))")
        #expect(result.output.contains("every port is free again"), "\(result.output.suffix(2000))")

        // What the demo reports, checked from outside.
        let answers = (try? String(contentsOf: data.appendingPathComponent("feed.jsonl"), encoding: .utf8)) ?? ""
        #expect(answers.contains("\"state\":\"acked\""), "the feeder saw no ack: \(answers.prefix(500))")
        let view = (try? String(contentsOf: data.appendingPathComponent("watch.jsonl"), encoding: .utf8)) ?? ""
        #expect(!view.isEmpty, "the coordinator's view received nothing")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("hub/journal.sqlite").path))

        for port in Self.ports { #expect(!listening(port), "port \(port) is still open after the demo stopped") }
        let strays = processesUsing(data.path)
        #expect(strays.isEmpty, "processes of the demo are still running:\n\(strays.joined(separator: "\n"))")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("demo.pids").path))
    }
}
