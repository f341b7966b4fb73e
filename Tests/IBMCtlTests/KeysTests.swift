import Foundation
import Testing
import ZeroMQ

@Suite("keys generate")
struct KeysTests {
    @Test("writes a 0600 secret, its public key, and the hub.yaml lines")
    func generate() throws {
        let folder = try TemporaryFolder()
        let out = folder.file("keys")
        let result = try ibmctl(["keys", "generate", "--name", "customs", "--out", out, "--role", "agency"], seconds: 30)
        #expect(result.status == 0)

        var info = stat()
        #expect(stat(out + "/customs.key", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)

        let secret = try String(contentsOfFile: out + "/customs.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let publicKey = try String(contentsOfFile: out + "/customs.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.count == 40 && publicKey.count == 40)
        #expect(try CurveKeyPair(z85SecretKey: secret).publicKeyZ85 == publicKey)
        #expect(result.stdout.contains("identities:"))
        #expect(result.stdout.contains("- name: customs"))
        #expect(result.stdout.contains("role: agency"))
        #expect(result.stdout.contains("public_key: \"\(publicKey)\""))
        #expect(!result.stdout.contains(secret))

        // Never overwrites a key by accident.
        let again = try ibmctl(["keys", "generate", "--name", "customs", "--out", out], seconds: 30)
        #expect(again.status == 2)
        let forced = try ibmctl(["keys", "generate", "--name", "customs", "--out", out, "--force", "--role", "coordinator"], seconds: 30)
        #expect(forced.status == 0)
        #expect(forced.stdout.contains("role: coordinator"))
        #expect(stat(out + "/customs.key", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }
}
