import Foundation
import ZeroMQ

/// How a client authenticates to the hub.
public enum ClientSecurity: Sendable {
    /// Plain text, for a hub started with `--insecure`.
    case insecure
    /// CURVE with the client's own key pair, trusting the hub's public key.
    case curve(serverPublicKey: [UInt8], client: CurveKeyPair)

    /// Reads `NAME.key` (Z85 secret) from `keyDirectory` and `hub.pub` (Z85 public) beside it.
    public static func fromKeyDirectory(_ keyDirectory: String, identity: String, serverKeyName: String = "hub") throws -> ClientSecurity {
        func read(_ file: String) throws -> String {
            do {
                return try String(contentsOfFile: keyDirectory + "/" + file, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw HubClientError.keys("cannot read \(keyDirectory)/\(file): \(error.localizedDescription)")
            }
        }
        do {
            let client = try CurveKeyPair(z85SecretKey: try read(identity + ".key"))
            let server = try Z85.decode(try read(serverKeyName + ".pub"))
            return .curve(serverPublicKey: server, client: client)
        } catch let error as HubClientError {
            throw error
        } catch {
            throw HubClientError.keys("\(keyDirectory): \(error)")
        }
    }

    /// Makes `socket` a CURVE client of the hub (no-op when insecure).
    public func apply(to socket: Socket) throws(ZMQError) {
        if case let .curve(server, client) = self {
            try socket.makeCurveClient(serverPublicKey: server, clientKeyPair: client)
        }
    }
}

/// Why a client call failed.
public enum HubClientError: Error, Sendable, CustomStringConvertible {
    case keys(String)
    case connection(String)
    case timeout(String)
    case protocolViolation(String)
    case refused(code: String, reason: String)

    public var description: String {
        switch self {
        case let .keys(reason): "keys: \(reason)"
        case let .connection(reason): "connection: \(reason)"
        case let .timeout(reason): "timeout: \(reason)"
        case let .protocolViolation(reason): "protocol: \(reason)"
        case let .refused(code, reason): "refused (\(code)): \(reason)"
        }
    }
}

/// Host and ports of a hub, with the default ports of DESIGN.md §3.
public struct HubAddress: Sendable, Equatable {
    public var host: String
    public var ingestPort = 7701
    public var feedPort = 7702
    public var syncPort = 7703
    public var httpPort = 7780

    public init(host: String = "127.0.0.1", ingestPort: Int = 7701, feedPort: Int = 7702, syncPort: Int = 7703, httpPort: Int = 7780) {
        self.host = host
        self.ingestPort = ingestPort
        self.feedPort = feedPort
        self.syncPort = syncPort
        self.httpPort = httpPort
    }

    public var ingest: String { "tcp://\(host):\(ingestPort)" }
    public var feed: String { "tcp://\(host):\(feedPort)" }
    public var sync: String { "tcp://\(host):\(syncPort)" }
}

func monotonicMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
