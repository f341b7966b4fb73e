import Foundation
import Synchronization
import Testing
import ZeroMQ

/// The transports every pattern is tested over.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inproc, tcp

    /// A fresh endpoint to bind: unique inproc name, or an ephemeral loopback port.
    var bindEndpoint: String {
        switch self {
        case .inproc: "inproc://test-\(UUID().uuidString)"
        case .tcp: "tcp://127.0.0.1:*"
        }
    }

    var testDescription: String { rawValue }
}

/// Upper bound for anything that should happen; only reached when a test fails.
let patience = 5_000

/// Binds `server` on the transport, connects `client` to it; returns the endpoint.
@discardableResult
func link(_ server: Socket, _ client: Socket, over transport: Transport) throws -> String {
    try server.bind(transport.bindEndpoint)
    let endpoint = try server.lastEndpoint
    try client.connect(endpoint)
    return endpoint
}

/// Gives the sockets a bounded receive wait, so a missing message fails instead of hanging.
func bound(_ sockets: Socket..., milliseconds: Int = patience) throws {
    for socket in sockets {
        try socket.set(.receiveTimeout, milliseconds)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func strings(_ frames: [[UInt8]]?) -> [String]? {
    frames?.map { String(decoding: $0, as: UTF8.self) }
}

/// Collects values from a @Sendable closure (e.g. a ZAP handler) for later checks.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
