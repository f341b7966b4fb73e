import Foundation
import TestSupport
import Testing

@Suite struct ExecutableTests {
    @Test(arguments: ["ibm-hub", "ibm-border", "ibm-migration", "ibm-customs", "ibmctl"])
    func answersHelp(_ name: String) throws {
        let result = try runCommand(TestPaths.executable(name), ["--help"], timeoutSeconds: 30)
        #expect(result.status == 0, "\(name) --help exited \(result.status): \(result.stderr)")
        #expect(result.stdout.contains("USAGE: \(name)"), "\(result.stdout)")
    }
}
