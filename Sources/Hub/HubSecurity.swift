import Foundation
import Logging
import Synchronization
import ZeroMQ

/// CURVE on every hub socket, and the ZAP handler that maps client keys to identities.
///
/// The ZAP handler gives every admitted peer its Z85 public key as User-Id. The hub looks
/// that key up in the registry on every message, so a key removed by a reload (SIGHUP) is
/// refused at once on ingest and sync, even on a connection made before the reload.
///
/// In insecure mode (loopback development only) sockets stay plain text, there are no
/// identities, and the origin of an alert is taken from its payload.
final class HubSecurity: Sendable {
    private let serverSecretKey: [UInt8]?
    let identities: IdentityRegistry
    private let zap: ZAPHandler?
    static let zapDomain = "ibm"

    var insecure: Bool { serverSecretKey == nil }

    init(configuration: HubConfiguration, context: ZMQContext, metrics: HubMetrics, logger: Logger) throws {
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
        let registry = IdentityRegistry(try Self.table(configuration.identities))
        identities = registry
        let throttle = LogThrottle()
        zap = try ZAPHandler(context: context) { request in
            guard request.domain == Self.zapDomain, request.mechanism == "CURVE", let key = request.curvePublicKey,
                  let shown = try? Z85.encode(key)
            else {
                metrics.refused("unknown_key")
                return .deny(status: 400, reason: "CURVE required")
            }
            if registry.identity(forUserID: shown) != nil {
                return .allow(userId: shown)
            }
            metrics.refused("unknown_key")
            // A refused client reconnects every 100 ms: log each key once a minute, count every attempt.
            if throttle.shouldLog(shown) {
                logger.warning("unknown client key refused", metadata: ["public_key": "\(shown)", "address": "\(request.address)"])
            }
            return .deny(status: 400, reason: "unknown key")
        }
    }

    /// Identities by their Z85 public key; each key must decode to 32 bytes.
    static func table(_ identities: [HubConfiguration.Identity]) throws(HubError) -> [String: HubConfiguration.Identity] {
        var table: [String: HubConfiguration.Identity] = [:]
        for identity in identities {
            guard let key = try? Z85.decode(identity.publicKey), key.count == 32 else {
                throw HubError.keys("identity \(identity.name): public_key is not a Z85 CURVE public key")
            }
            if let other = table[identity.publicKey] {
                throw HubError.keys("identities \(other.name) and \(identity.name) have the same public_key")
            }
            table[identity.publicKey] = identity
        }
        return table
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

/// The identities admitted, by Z85 public key. A lock guards it because the ZAP, core and
/// sync threads read it while a reload (SIGHUP) replaces it.
final class IdentityRegistry: Sendable {
    private struct State {
        var table: [String: HubConfiguration.Identity]
        var audiences: [Release.Audience]
        /// Bumped by a reload that removed or changed a key: the feed then rebinds, so that
        /// every subscriber handshakes again through ZAP.
        var revocations: UInt64 = 0
    }

    private let state: Mutex<State>

    init(_ table: [String: HubConfiguration.Identity]) {
        state = Mutex(State(table: table, audiences: Self.audiences(table)))
    }

    /// The identity of a connection's ZAP User-Id, or nil if its key is not (or no longer) admitted.
    func identity(forUserID userID: String) -> HubConfiguration.Identity? {
        state.withLock { $0.table[userID] }
    }

    /// Every admitted identity as an audience of the feed, once each, by name.
    var audiences: [Release.Audience] { state.withLock { $0.audiences } }

    var revocations: UInt64 { state.withLock { $0.revocations } }

    /// Replaces the table; returns the names added, removed and changed.
    @discardableResult
    func replace(with table: [String: HubConfiguration.Identity]) -> (added: [String], removed: [String], changed: [String]) {
        state.withLock { state in
            let old = state.table
            let oldNames = Set(old.values.map(\.name)), newNames = Set(table.values.map(\.name))
            let removedKeys = old.keys.filter { table[$0] == nil }
            let changed = old.compactMap { key, identity in
                table[key].flatMap { $0 != identity ? identity.name : nil }
            }
            if !removedKeys.isEmpty || !changed.isEmpty { state.revocations += 1 }
            state.table = table
            state.audiences = Self.audiences(table)
            return (newNames.subtracting(oldNames).sorted(), oldNames.subtracting(newNames).sorted(),
                    (changed + removedKeys.compactMap { old[$0]?.name }.filter(newNames.contains)).sorted())
        }
    }

    private static func audiences(_ table: [String: HubConfiguration.Identity]) -> [Release.Audience] {
        var seen: Set<String> = []
        return table.values.sorted { $0.name < $1.name }.compactMap { identity in
            seen.insert(identity.name).inserted ? Release.Audience(identity) : nil
        }
    }
}

/// Lets a message per key through once a minute; bounded, so hostile keys cannot grow it.
private final class LogThrottle: Sendable {
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])

    func shouldLog(_ key: String) -> Bool {
        let now = ContinuousClock.now
        return lastLogged.withLock { table in
            if let last = table[key], now - last < .seconds(60) { return false }
            if table.count >= 4096 { table.removeAll() }
            table[key] = now
            return true
        }
    }
}
