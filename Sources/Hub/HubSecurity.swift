import Foundation
import Logging
import Synchronization
import ZeroMQ

/// CURVE on every hub socket, and the ZAP handler that maps client keys to identities.
///
/// In insecure mode (loopback development only) sockets stay plain text and the
/// origin of an alert is taken from its payload.
final class HubSecurity: Sendable {
    private let serverSecretKey: [UInt8]?
    let identities: IdentityRegistry
    private let zap: ZAPHandler?
    private let logger: Logger
    static let zapDomain = "ibm"

    init(configuration: HubConfiguration, context: ZMQContext, logger: Logger) throws {
        self.logger = logger
        guard !configuration.insecure else {
            serverSecretKey = nil
            identities = IdentityRegistry([:])
            zap = nil
            return
        }
        guard let keyFile = configuration.serverSecretKeyFile else {
            throw HubError.keys("security.server_secret_key_file is required unless --insecure is given")
        }
        let text: String
        do {
            text = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw HubError.keys("cannot read the hub's secret key \(keyFile): \(error.localizedDescription)")
        }
        do {
            serverSecretKey = try CurveKeyPair(z85SecretKey: text).secretKey
        } catch {
            throw HubError.keys("\(keyFile) does not hold a Z85 CURVE secret key: \(error)")
        }
        var table: [[UInt8]: HubConfiguration.Identity] = [:]
        for identity in configuration.identities {
            do {
                table[try Z85.decode(identity.publicKey)] = identity
            } catch {
                throw HubError.keys("identity \(identity.name): public_key is not a Z85 CURVE key: \(error)")
            }
        }
        let registry = IdentityRegistry(table)
        identities = registry
        let zapLogger = logger
        zap = try ZAPHandler(context: context) { request in
            guard request.domain == Self.zapDomain, request.mechanism == "CURVE", let key = request.curvePublicKey else {
                return .deny(status: 400, reason: "CURVE required")
            }
            if let identity = registry.identity(forKey: key) {
                return .allow(userId: identity.name)
            }
            let shown = (try? Z85.encode(key)) ?? "?"
            zapLogger.warning("unknown client key refused", metadata: ["public_key": "\(shown)", "address": "\(request.address)"])
            return .deny(status: 400, reason: "unknown key")
        }
    }

    /// Makes `socket` a CURVE server authenticated by the ZAP handler (no-op when insecure).
    func secure(_ socket: Socket) throws(ZMQError) {
        guard let serverSecretKey else { return }
        try socket.set(.zapDomain, Self.zapDomain)
        try socket.makeCurveServer(secretKey: serverSecretKey)
    }

    func stop() {
        _ = zap?.stop()
    }
}

/// The identities admitted by public key; a lock guards it because the ZAP
/// thread reads it while a reload (SIGHUP) may replace it.
final class IdentityRegistry: Sendable {
    private let table: Mutex<[[UInt8]: HubConfiguration.Identity]>

    init(_ table: [[UInt8]: HubConfiguration.Identity]) {
        self.table = Mutex(table)
    }

    func identity(forKey key: [UInt8]) -> HubConfiguration.Identity? {
        table.withLock { $0[key] }
    }

    func replace(with table: [[UInt8]: HubConfiguration.Identity]) {
        self.table.withLock { $0 = table }
    }
}
