import IBMProtocol

/// One normalised identifier carried by an alert's subject.
struct IdentifierKey: Hashable, Sendable {
    var kind: IdentifierKind
    var value: String
    /// Plate country or document nationality (ISO alpha-2); empty when unknown.
    var qualifier: String
    /// The person's name reduced by `NameNormalizer.tokens`, for documents only: it corroborates a match.
    var nameParts: [String]

    /// What the identifier index is keyed by; qualifiers are checked on each candidate.
    var indexKey: String { kind.rawValue + ":" + value }

    /// Whether two keys with the same kind and value identify the same thing: a known country
    /// or nationality must not differ, and a document without nationality needs agreeing names.
    func compatible(with other: IdentifierKey) -> Bool {
        if !qualifier.isEmpty, !other.qualifier.isEmpty { return qualifier == other.qualifier }
        if kind == .document { return NameNormalizer.compatible(parts: nameParts, other.nameParts) }
        return true
    }

    /// The matched key as shown on the feed: `plate:123TN4567`, `document:LY/119935593536`.
    func display(with other: IdentifierKey) -> String {
        guard kind == .document else { return indexKey }
        let nationality = qualifier.isEmpty ? other.qualifier : qualifier
        return nationality.isEmpty ? indexKey : "document:\(nationality)/\(value)"
    }
}

enum AlertKeys {
    /// The alert's identifiers in subject order, each (kind, value) once.
    static func extract(_ alert: Ibm_V1_Alert) -> [IdentifierKey] {
        var keys: [IdentifierKey] = []
        func add(_ kind: IdentifierKind, _ value: String?, qualifier: String = "", name: String = "") {
            guard let value, !keys.contains(where: { $0.kind == kind && $0.value == value }) else { return }
            // Reduced once here: candidates are compared far more often than alerts arrive.
            let parts = name.isEmpty ? [] : NameNormalizer.tokens(name)
            keys.append(IdentifierKey(kind: kind, value: value, qualifier: qualifier, nameParts: parts))
        }
        for subject in alert.subjects {
            switch subject.kind {
            case let .vehicle(vehicle)?:
                if let plate = PlateNormalizer.normalize(vehicle.plate, country: vehicle.country) {
                    add(.plate, plate.registration, qualifier: plate.country ?? "")
                }
            case let .person(person)?:
                add(.document, IdentifierNormalizer.document(person.document),
                    qualifier: IdentifierNormalizer.country(person.nationality) ?? "", name: person.name)
            case let .weapon(weapon)?:
                add(.serial, IdentifierNormalizer.serial(weapon.serial))
            case let .vessel(vessel)?:
                add(.mmsi, IdentifierNormalizer.mmsi(vessel.mmsi))
                add(.imo, IdentifierNormalizer.imo(vessel.imo))
            case let .consignment(consignment)?:
                add(.consignment, IdentifierNormalizer.consignment(consignment.reference))
            case .goods?, .group?, nil:
                break
            }
        }
        return keys
    }

    /// Whether both carry identifiers of one kind and share none of them: then they
    /// describe different things (two plates, two documents), however close they are.
    static func conflicting(_ a: [IdentifierKey], _ b: [IdentifierKey]) -> Bool {
        if a.isEmpty || b.isEmpty { return false }
        for kind in IdentifierKind.allCases {
            let left = a.filter { $0.kind == kind }
            guard !left.isEmpty else { continue }
            let right = b.filter { $0.kind == kind }
            guard !right.isEmpty else { continue }
            let shared = left.contains { key in right.contains { $0.value == key.value && key.compatible(with: $0) } }
            if !shared { return true }
        }
        return false
    }
}
