// swift-tools-version:6.1
// libFuzzer targets for IBM Hub's decoders, kept apart from the main package so that
// `swift build` there never needs the sanitizers. Build and run with scripts/fuzz.sh.
//
// Each target is an executable whose only entry point is `LLVMFuzzerTestOneInput`
// (libFuzzer supplies `main`), so it is compiled with -parse-as-library.
// The project's modules are reached through symlinks in Sources/.
import PackageDescription

let fuzzerSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "IBMHubFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "IBMProtocol", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "YAMLConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "Correlation",
            dependencies: ["IBMProtocol", "YAMLConfig", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(name: "CAP", dependencies: ["IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CLibFuzzer", "IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        .executableTarget(
            name: "FuzzIngest",
            dependencies: ["FuzzSupport", "IBMProtocol", "Correlation", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: fuzzerSettings
        ),
        .executableTarget(
            name: "FuzzSync",
            dependencies: ["FuzzSupport", "IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: fuzzerSettings
        ),
        .executableTarget(
            name: "FuzzAlertJSON",
            dependencies: ["FuzzSupport", "IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: fuzzerSettings
        ),
        .executableTarget(
            name: "FuzzCAP",
            dependencies: ["FuzzSupport", "CAP", "IBMProtocol"],
            swiftSettings: fuzzerSettings
        ),

        // Writes Corpus/FuzzIngest and Corpus/FuzzSync; a plain executable, never built with the sanitizers.
        .executableTarget(
            name: "FuzzSeeds",
            dependencies: ["IBMProtocol", "CAP", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
    ]
)
