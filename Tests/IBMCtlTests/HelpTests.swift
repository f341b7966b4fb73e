import Foundation
import Testing

@Suite("help and usage")
struct HelpTests {
    @Test("--help explains every command", arguments: [
        ([], "watch"), (["watch"], "--min-severity"), (["replay"], "--speed"), (["verify"], "--journal"),
        (["publish"], "--rate"), (["keys"], "generate"), (["keys", "generate"], "--role"), (["status"], "--http-port"),
    ])
    func help(_ command: [String], _ mentions: String) throws {
        let result = try ibmctl(command + ["--help"], seconds: 30)
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE:"))
        #expect(result.stdout.contains(mentions))
    }

    @Test("usage errors exit 2", arguments: [
        ["verify"], ["replay", "--speed", "fast"], ["watch", "--category", "piracy"], ["no-such-command"],
        ["replay", "--journal", "x", "--hub", "h"], ["publish", "alerts.jsonl"],
    ])
    func usageError(_ arguments: [String]) throws {
        let result = try ibmctl(arguments, seconds: 30)
        #expect(result.status == 2)
        #expect(!result.stderr.isEmpty)
    }
}
