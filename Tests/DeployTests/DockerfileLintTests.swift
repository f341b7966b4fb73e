import Foundation
import TestSupport
import Testing

/// Reads docker/Dockerfile the way `docker build` would, without a Docker engine.
@Suite struct DockerfileLintTests {
    let dockerfile: Dockerfile

    init() throws {
        dockerfile = try Dockerfile(path: TestPaths.repository.appendingPathComponent("docker/Dockerfile").path)
    }

    @Test func everyCopySourceExistsInTheBuildContext() throws {
        let copies = dockerfile.instructions.filter { $0.keyword == "COPY" && !$0.arguments.contains { $0.hasPrefix("--from") } }
        #expect(copies.count >= 3)
        for copy in copies {
            let operands = copy.arguments.filter { !$0.hasPrefix("--") }
            try #require(operands.count >= 2, "COPY at line \(copy.line) needs a source and a destination")
            for source in operands.dropLast() {
                // The build context is the repository root (docker build -f docker/Dockerfile .).
                let path = TestPaths.repository.appendingPathComponent(source).path
                #expect(FileManager.default.fileExists(atPath: path),
                        "docker/Dockerfile:\(copy.line): COPY source \(source) is not in the repository")
            }
        }
    }

    @Test func everyExecutableIsBuiltAndTheCommandNamesOne() throws {
        let executables = try PackageManifest.executableProducts()
        #expect(Set(executables) == ["ibm-hub", "ibm-border", "ibm-migration", "ibm-customs", "ibmctl"])
        // The build stage copies every executable product into the image.
        let build = try #require(dockerfile.instructions.first { $0.keyword == "RUN" && $0.text.contains("swift build") })
        for name in executables {
            #expect(build.text.contains(" \(name)"), "docker/Dockerfile:\(build.line) does not copy \(name) into the image")
        }
        let command = try #require(dockerfile.instructions.last { $0.keyword == "CMD" || $0.keyword == "ENTRYPOINT" })
        let words = try #require(command.execForm, "docker/Dockerfile:\(command.line): use the exec form [\"…\"]")
        #expect(executables.contains(words.first ?? ""), "docker/Dockerfile:\(command.line): \(words) names no executable")
        // Each service of the compose file picks its role with the same executables.
        let compose = try String(contentsOfFile: TestPaths.repository.appendingPathComponent("docker/compose.yaml").path, encoding: .utf8)
        let roles = compose.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "command: [\"") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\"" })
        }
        #expect(roles.count == 5)
        for role in roles { #expect(executables.contains(role), "docker/compose.yaml runs \(role), which is not built") }
    }

    @Test func runtimeImageInstallsExactlyTheLibrariesTheBinariesLink() throws {
        let stages = dockerfile.stages
        try #require(stages.count == 2, "a multi-stage build: the toolchain image, then the runtime image")
        #expect(stages[0].from.contains("swift:6.3"), "the build stage uses the Swift 6.3 image, not \(stages[0].from)")
        #expect(stages[1].from.contains("bookworm-slim"), "the runtime stage is slim Debian, not \(stages[1].from)")
        #expect(stages[1].instructions.contains { $0.keyword == "USER" && $0.arguments.first != "root" && $0.arguments.first != "0" },
                "the runtime image runs as a non-root user")
        let installed = Set(stages[1].aptPackages)
        let buildText = stages[0].instructions.map(\.text).joined(separator: "\n")
        // Swift's own runtime is not a Debian package: it must be linked in.
        #expect(buildText.contains("--static-swift-stdlib"))

        let linked = try LinkedLibraries.debianPackages(of: PackageManifest.executableProducts().map(TestPaths.executable))
        // In debian:bookworm-slim already (apt itself needs them).
        let base: Set<String> = ["libc6", "libgcc-s1", "libstdc++6", "zlib1g"]
        let needed = linked.packages.subtracting(base)
        #expect(needed == installed, """
            the runtime stage installs \(installed.sorted()) but the binaries link \(linked.packages.sorted()) \
            (base image: \(base.sorted()))
            """)
        // Everything else the binaries load comes from the Swift toolchain.
        for library in linked.notFromDebian {
            #expect(library.contains("/swift/"), "\(library) is neither a Debian package's nor Swift's runtime")
        }
        // The -dev packages of the build stage are those of the runtime libraries.
        let development = Set(stages[0].aptPackages)
        #expect(development.isSuperset(of: ["libzmq3-dev", "libsqlite3-dev"]))
    }
}

// MARK: - Reading the Dockerfile

struct Dockerfile {
    struct Instruction {
        var keyword: String
        var text: String
        var line: Int
        /// Whitespace-separated words after the keyword.
        var arguments: [String] { text.split(whereSeparator: \.isWhitespace).map(String.init) }
        /// The JSON array of an exec-form CMD/ENTRYPOINT.
        var execForm: [String]? {
            guard let data = text.data(using: .utf8) else { return nil }
            return try? JSONSerialization.jsonObject(with: data) as? [String]
        }

        /// Packages of `apt-get install` in this RUN (options and shell words dropped).
        var aptPackages: [String] {
            guard keyword == "RUN" else { return [] }
            var result: [String] = []
            for command in text.components(separatedBy: "&&") {
                let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
                guard let install = words.firstIndex(of: "install"), words.contains("apt-get") else { continue }
                result += words[(install + 1)...].filter { !$0.hasPrefix("-") && $0 != "\\" }
            }
            return result
        }
    }

    struct Stage {
        var from: String
        var instructions: [Instruction]
        var aptPackages: [String] { instructions.flatMap(\.aptPackages) }
    }

    var instructions: [Instruction] = []

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var pending = ""
        var startLine = 0
        var arguments: [String: String] = [:]
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && (line.isEmpty || line.hasPrefix("#")) { continue }
            if pending.isEmpty { startLine = index + 1 }
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            pending += line
            let keyword = String(pending.prefix { !$0.isWhitespace }).uppercased()
            var rest = String(pending.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
            if keyword == "ARG", let equals = rest.firstIndex(of: "=") {
                arguments[String(rest[..<equals])] = String(rest[rest.index(after: equals)...])
            }
            // ${NAME} of an ARG with a default, as docker build substitutes it in FROM.
            for (name, value) in arguments { rest = rest.replacingOccurrences(of: "${\(name)}", with: value) }
            instructions.append(Instruction(keyword: keyword, text: rest, line: startLine))
            pending = ""
        }
    }

    var stages: [Stage] {
        var result: [Stage] = []
        for instruction in instructions {
            if instruction.keyword == "FROM" {
                result.append(Stage(from: instruction.arguments.first ?? "", instructions: []))
            } else if !result.isEmpty {
                result[result.count - 1].instructions.append(instruction)
            }
        }
        return result
    }
}

/// The executable products declared in Package.swift.
enum PackageManifest {
    static func executableProducts() throws -> [String] {
        let manifest = try String(contentsOfFile: TestPaths.repository.appendingPathComponent("Package.swift").path, encoding: .utf8)
        return manifest.components(separatedBy: ".executable(name: \"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }
}

/// The shared libraries that binaries load, and the Debian packages they come from.
enum LinkedLibraries {
    struct Result {
        var packages: Set<String> = []
        var notFromDebian: Set<String> = []
    }

    /// Direct dependencies (ELF NEEDED entries) of each binary, resolved by `ldd`, owned per `dpkg -S`.
    static func debianPackages(of binaries: [URL]) throws -> Result {
        var result = Result()
        for binary in binaries {
            try #require(FileManager.default.isExecutableFile(atPath: binary.path), "\(binary.path) is not built")
            let needed = try run("/usr/bin/readelf", ["-d", binary.path]).split(separator: "\n").compactMap { line -> String? in
                guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
                return String(line[line.index(after: open)..<close])
            }
            var resolved: [String: String] = [:]
            for line in try run("/usr/bin/ldd", [binary.path]).split(separator: "\n") {
                let parts = line.split(whereSeparator: \.isWhitespace)
                if parts.count >= 3, parts[1] == "=>" { resolved[String(parts[0])] = String(parts[2]) }
                else if let first = parts.first, first.hasPrefix("/") { resolved[URL(fileURLWithPath: String(first)).lastPathComponent] = String(first) }
            }
            for name in needed {
                let path = try #require(resolved[name], "ldd does not resolve \(name) of \(binary.lastPathComponent)")
                if let package = owner(of: path) { result.packages.insert(package) } else { result.notFromDebian.insert(path) }
            }
        }
        return result
    }

    /// The Debian package that owns `path`, trying the /lib and /usr/lib spellings (merged /usr).
    static func owner(of path: String) -> String? {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var candidates: [String] = []
        for candidate in [path, real] {
            candidates.append(candidate)
            if candidate.hasPrefix("/usr/lib/") { candidates.append(String(candidate.dropFirst(4))) }
            else if candidate.hasPrefix("/lib") { candidates.append("/usr" + candidate) }
        }
        for candidate in candidates {
            guard let output = try? run("/usr/bin/dpkg", ["-S", candidate]),
                  let colon = output.firstIndex(of: ":") else { continue }
            return String(output[..<colon])
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try runCommand(URL(fileURLWithPath: executable), arguments, timeoutSeconds: 60)
        guard result.status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }
}
