import Foundation
import TestSupport
import Testing

/// docker/compose.yaml against the Compose specification's schema (vendored as
/// docker/compose-spec.json) and the deployment's own needs, by docker/validate-compose.py.
@Suite struct ComposeFileTests {
    static let docker = TestPaths.repository.appendingPathComponent("docker")

    static func validate(_ compose: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try runCommand(URL(fileURLWithPath: "/usr/bin/env"),
                       ["python3", docker.appendingPathComponent("validate-compose.py").path, compose,
                        docker.appendingPathComponent("compose-spec.json").path])
    }

    @Test func composeFileValidates() throws {
        let result = try Self.validate(Self.docker.appendingPathComponent("compose.yaml").path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok:"))
    }

    /// The check can fail: a schema violation and a missing health check are both named.
    @Test func brokenComposeFilesAreRefusedWithTheReason() throws {
        let original = try String(contentsOf: Self.docker.appendingPathComponent("compose.yaml"), encoding: .utf8)
        let folder = try TestPaths.temporaryDirectory("compose")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String, String)] = [
            ("restart: unless-stopped", "restart: 5", "restart: 5 is not of type 'string'"),
            ("read_only: true ", "read_only: maybe ", "is not of type 'boolean'"),
            ("    healthcheck:\n      <<: *health\n      test: [\"CMD\", \"bash\", \"-c\", \"exec 3<>/dev/tcp/127.0.0.1/7782",
             "    x-no-healthcheck:\n      <<: *health\n      test: [\"CMD\", \"bash\", \"-c\", \"exec 3<>/dev/tcp/127.0.0.1/7782",
             "services.migration.healthcheck must probe /healthz on port 7782"),
        ]
        for (index, (find, replace, reason)) in cases.enumerated() {
            #expect(original.contains(find), "compose.yaml no longer contains \(find)")
            let path = folder.appendingPathComponent("compose-\(index).yaml").path
            try original.replacingOccurrences(of: find, with: replace).write(toFile: path, atomically: true, encoding: .utf8)
            let result = try Self.validate(path)
            #expect(result.status == 1, "\(replace): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains(reason), "\(replace): \(result.stdout)")
        }
    }
}
