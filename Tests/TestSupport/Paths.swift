import Foundation

/// Where tests find the built executables and the shared scenario data.
public enum TestPaths {
    /// The build products folder that holds the test binary and the executables.
    public static var products: URL {
        if let override = ProcessInfo.processInfo.environment["IBM_PRODUCTS_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<triple>/debug/IBMHubPackageTests.xctest (a file on Linux)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("ibm-hub").path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug")
    }

    public static func executable(_ name: String) -> URL {
        products.appendingPathComponent(name)
    }

    /// The repository root (holds Package.swift).
    public static var repository: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/scenarios/dev` beside the repository.
    public static var devScenario: URL {
        repository.deletingLastPathComponent().appendingPathComponent("shared/scenarios/dev")
    }

    /// A new empty temporary folder.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ibm-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
