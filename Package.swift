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
        .target(
            name: "Journal",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executables (thin mains)
        .executableTarget(
            name: "ibm-hub",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "ibmctl",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "ibm-border",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "ibm-migration",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "ibm-customs",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: Tests
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "IBMProtocolTests", dependencies: ["IBMProtocol"]),
        .testTarget(name: "JournalTests", dependencies: ["Journal"]),
    ]
)
