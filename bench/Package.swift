// swift-tools-version:6.1
// Load clients of `make bench` for the ZeroMQ systems (IBM Hub, zmq_proxy, acked ROUTER echo).
// A separate package so the benchmark's build never touches the project's; it reaches the
// project's ZeroMQ wrapper and protocol model through the relative symlinks in Sources/.
import PackageDescription

let package = Package(
    name: "IBMBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "IBMProtocol", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .executableTarget(
            name: "ibm-bench",
            dependencies: [
                "ZeroMQ", "CZeroMQ", "IBMProtocol",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
    ]
)
