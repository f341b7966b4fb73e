import CZeroMQ

/// Z85 (ZeroMQ RFC 32), the printable encoding of CURVE keys: 4 bytes ↔ 5 characters.
public enum Z85 {
    static let alphabet: [UInt8] = Array(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// ASCII → digit, 0xFF for characters outside the alphabet.
    static let digits: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (digit, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(digit)
        }
        return table
    }()

    /// Encodes bytes whose count is a multiple of 4.
    /// - Throws: `ZMQError` with `EINVAL` for any other length.
    public static func encode(_ bytes: [UInt8]) throws(ZMQError) -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQError.invalid("Z85.encode", "input length \(bytes.count) is not a multiple of 4")
        }
        return encodeValidated(bytes)
    }

    /// Callers guarantee `bytes.count % 4 == 0`.
    static func encodeValidated(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 5)
        var index = 0
        while index + 4 <= bytes.count {
            var value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            value |= UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            var group = [UInt8](repeating: 0, count: 5)
            for position in stride(from: 4, through: 0, by: -1) {
                group[position] = alphabet[Int(value % 85)]
                value /= 85
            }
            output.append(contentsOf: group)
            index += 4
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes text whose length is a multiple of 5.
    /// - Throws: `ZMQError` with `EINVAL` for a wrong length, a character outside the
    ///   Z85 alphabet, or a group worth more than 32 bits; `detail` says which.
    public static func decode(_ text: String) throws(ZMQError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else {
            throw ZMQError.invalid("Z85.decode", "text length \(characters.count) is not a multiple of 5")
        }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 5 * 4)
        var index = 0
        while index < characters.count {
            var value: UInt64 = 0
            for offset in index..<index + 5 {
                let digit = digits[Int(characters[offset])]
                guard digit != 0xFF else {
                    throw ZMQError.invalid(
                        "Z85.decode", "byte 0x\(String(characters[offset], radix: 16)) at offset \(offset) is not a Z85 character")
                }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else {
                throw ZMQError.invalid("Z85.decode", "group at offset \(index) exceeds 32 bits")
            }
            output.append(UInt8(truncatingIfNeeded: value >> 24))
            output.append(UInt8(truncatingIfNeeded: value >> 16))
            output.append(UInt8(truncatingIfNeeded: value >> 8))
            output.append(UInt8(truncatingIfNeeded: value))
            index += 5
        }
        return output
    }
}

/// A CURVE key pair: 32 raw bytes each.
public struct CurveKeyPair: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let keySize = 32

    public let publicKey: [UInt8]
    public let secretKey: [UInt8]

    /// A fresh random key pair (`zmq_curve_keypair`).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        try zmqCheck("zmq_curve_keypair") { zmq_curve_keypair(&publicText, &secretText) }
        return CurveKeyPair(
            publicKey: try Z85.decode(Self.string(publicText)),
            secretKey: try Z85.decode(Self.string(secretText)))
    }

    /// The pair of a secret key, deriving its public key (`zmq_curve_public`).
    /// - Throws: `EINVAL` if the key is not 32 bytes.
    public init(secretKey: [UInt8]) throws(ZMQError) {
        guard secretKey.count == Self.keySize else {
            throw ZMQError.invalid("zmq_curve_public", "secret key has \(secretKey.count) bytes, not 32")
        }
        let secretText = Z85.encodeValidated(secretKey)
        var publicText = [CChar](repeating: 0, count: 41)
        try zmqCheck("zmq_curve_public") { zmq_curve_public(&publicText, secretText) }
        self.init(publicKey: try Z85.decode(Self.string(publicText)), secretKey: secretKey)
    }

    /// The pair of a Z85-encoded (40 characters) secret key.
    public init(z85SecretKey: String) throws(ZMQError) {
        try self.init(secretKey: Z85.decode(z85SecretKey))
    }

    private init(publicKey: [UInt8], secretKey: [UInt8]) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The public key in Z85 (40 characters).
    public var publicKeyZ85: String { Z85.encodeValidated(publicKey) }
    /// The secret key in Z85 (40 characters).
    public var secretKeyZ85: String { Z85.encodeValidated(secretKey) }

    /// Shows only the public key, so logging a key pair never leaks the secret.
    public var description: String { "CurveKeyPair(public: \(publicKeyZ85))" }
    public var debugDescription: String { description }

    /// libzmq writes 40 characters and a NUL.
    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Socket {
    /// Makes the socket a CURVE server with its long-term secret key (32 bytes).
    /// Clients are authenticated by the context's ZAP handler, if one is running.
    public func makeCurveServer(secretKey: [UInt8]) throws(ZMQError) {
        guard secretKey.count == CurveKeyPair.keySize else {
            throw ZMQError.invalid("zmq_setsockopt", "CURVE secret key has \(secretKey.count) bytes, not 32")
        }
        try set(.curveSecretKey, secretKey)
        try set(.curveServer, true)
    }

    /// Makes the socket a CURVE client of the server whose public key is given.
    public func makeCurveClient(serverPublicKey: [UInt8], clientKeyPair: CurveKeyPair) throws(ZMQError) {
        guard serverPublicKey.count == CurveKeyPair.keySize else {
            throw ZMQError.invalid("zmq_setsockopt", "CURVE server key has \(serverPublicKey.count) bytes, not 32")
        }
        try set(.curveServerKey, serverPublicKey)
        try set(.curvePublicKey, clientKeyPair.publicKey)
        try set(.curveSecretKey, clientKeyPair.secretKey)
    }
}
