import ArgumentParser
import Foundation
import ZeroMQ

/// `ibmctl keys`: CURVE key pairs for the hub and its identities.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make CURVE key pairs for the hub, agencies and coordinators.",
        subcommands: [Generate.self])
}

extension Keys {
    /// `ibmctl keys generate`: writes NAME.key and NAME.pub.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a CURVE key pair and print the hub.yaml lines that admit it.",
            discussion: """
                Writes NAME.key (the Z85 secret key, file mode 0600) and NAME.pub (the Z85 public \
                key) into the output folder, then prints the `identities:` entry to add to hub.yaml. \
                For --name hub it makes the hub's own server key and prints the `security:` lines instead.
                """)

        @Option(help: ArgumentHelp("Identity name: lower-case letters, digits, _ and -.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("Folder to write the key files to (created if missing).", valueName: "dir"))
        var out: String

        @Option(help: ArgumentHelp("What the identity may do.", valueName: "role"))
        var role: Role = .agency

        @Flag(help: "Replace key files that already exist.")
        var force = false

        enum Role: String, ExpressibleByArgument, CaseIterable {
            case agency, coordinator
        }

        func validate() throws {
            guard !name.isEmpty, name.utf8.count <= 32,
                  name.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D })
            else { throw ValidationError("--name \"\(name)\" may contain only lower-case letters, digits, _ and - (at most 32)") }
        }

        func run() throws {
            let folder = out.hasSuffix("/") && out.count > 1 ? String(out.dropLast()) : out
            let secretPath = folder + "/" + name + ".key"
            let publicPath = folder + "/" + name + ".pub"
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CtlError.usage("cannot create \(folder): \(error.localizedDescription)")
            }
            if !force {
                for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
                    throw CtlError.usage("\(path) exists; use --force to replace it (identities using it lose access)")
                }
            }
            let pair = try CurveKeyPair.generate()
            try Self.write(pair.secretKeyZ85 + "\n", to: secretPath, mode: 0o600)
            try Self.write(pair.publicKeyZ85 + "\n", to: publicPath, mode: 0o644)

            let output = BufferedOutput.standardOutput()
            output.write("# wrote \(secretPath) (secret, mode 0600) and \(publicPath)\n")
            if name == "hub" {
                output.write("""
                    # The hub's server key. In hub.yaml:
                    security:
                      server_secret_key_file: \(secretPath)
                    # Clients need \(publicPath) in their key folder.

                    """)
            } else {
                output.write("""
                    # Admit \(name) in hub.yaml (under the existing `identities:` key):
                    identities:
                      - name: \(name)
                        role: \(role.rawValue)
                        public_key: "\(pair.publicKeyZ85)"

                    """)
            }
        }

        /// Creates the file with `mode` from the start, so the secret is never readable by others.
        static func write(_ text: String, to path: String, mode: mode_t) throws(CtlError) {
            unlink(path)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
            guard descriptor >= 0 else {
                throw .usage("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            defer { close(descriptor) }
            // The umask may have removed bits; set exactly what was asked.
            fchmod(descriptor, mode)
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { raw in Foundation.write(descriptor, raw.baseAddress, raw.count) }
            guard written == bytes.count, fsync(descriptor) == 0 || errno == EINVAL else {
                throw .usage("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
