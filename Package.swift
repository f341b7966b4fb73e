// swift-tools-version:6.1
// IBM Hub: the messaging backbone of Integrated Border Management.
//
// Layers (see README.md): CZeroMQ → ZeroMQ → protocol model → correlation / journal →
// hub and agency node services → thin executables.
import PackageDescription

let package = Package(
    name: "IBMHub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ibm-hub", targets: ["ibm-hub"]),
        .executable(name: "ibmctl", targets: ["ibmctl"]),
        .executable(name: "ibm-border", targets: ["ibm-border"]),
        .executable(name: "ibm-migration", targets: ["ibm-migration"]),
        .executable(name: "ibm-customs", targets: ["ibm-customs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: ZeroMQ
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),

        // MARK: Protocol model
        .target(
            name: "IBMProtocol",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // MARK: Domain libraries
        .target(name: "YAMLConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "Correlation",
            dependencies: ["IBMProtocol", "YAMLConfig", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "Journal",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Services
        .target(
            name: "Hub",
            dependencies: [
                "ZeroMQ", "IBMProtocol", "Correlation", "Journal", "YAMLConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "CAP",
            dependencies: ["IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "HubClient",
            dependencies: ["ZeroMQ", "IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        .target(
            name: "AgencyNode",
            dependencies: [
                "CAP", "HubClient", "IBMProtocol", "YAMLConfig", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        .target(
            name: "IBMCtl",
            dependencies: [
                "CAP", "HubClient", "Journal", "IBMProtocol", "ZeroMQ", "Correlation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executables (thin mains)
        .executableTarget(
            name: "ibm-hub",
            dependencies: [
                "Hub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "ibmctl", dependencies: ["IBMCtl"]),
        .executableTarget(
            name: "ibm-border",
            dependencies: [
                "AgencyNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ibm-migration",
            dependencies: [
                "AgencyNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ibm-customs",
            dependencies: [
                "AgencyNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "IBMProtocolTests", dependencies: ["IBMProtocol", "TestSupport"]),
        .testTarget(
            name: "CAPTests",
            dependencies: ["CAP", "IBMProtocol", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Samples"]
        ),
        .testTarget(
            name: "JournalTests",
            dependencies: [
                "Journal",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "YAMLConfigTests", dependencies: ["YAMLConfig"]),
        .testTarget(
            name: "CorrelationTests",
            dependencies: [
                "Correlation", "IBMProtocol", "YAMLConfig", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "Hub", "HubClient", "Journal", "IBMProtocol", "ZeroMQ", "TestSupport", "Correlation",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "AgencyNodeTests",
            dependencies: [
                "AgencyNode", "CAP", "HubClient", "IBMProtocol", "Journal", "YAMLConfig", "ZeroMQ", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "TestSupport", "Journal", "IBMProtocol", "Correlation", "HubClient", "ZeroMQ",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "IBMCtlTests",
            dependencies: [
                "IBMCtl", "CAP", "Journal", "IBMProtocol", "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // docker/ checks (compose schema, Dockerfile lint), the headless demo, the network-namespace
        // multi-host run: all against the built executables and the repository's files.
        .testTarget(name: "DeployTests", dependencies: ["TestSupport"]),
    ]
)
