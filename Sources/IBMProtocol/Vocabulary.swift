/// An enumeration with a fixed JSON spelling for each known value.
public protocol JSONSpelledEnum: Hashable, Sendable, CaseIterable {
    /// The JSON spelling, or nil for `unspecified` and unrecognised values.
    var jsonName: String? { get }
}

extension JSONSpelledEnum {
    /// The known value spelled `name`, if any.
    public init?(jsonName name: String) {
        guard let match = Self.allCases.first(where: { $0.jsonName == name }) else { return nil }
        self = match
    }

    /// Every known spelling, in declaration order, for error messages.
    public static var jsonNames: [String] { allCases.compactMap(\.jsonName) }
}

extension Ibm_V1_MsgType: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .alert: "alert"
        case .update: "update"
        case .cancel: "cancel"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_Category: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .narcoterrorism: "narcoterrorism"
        case .radicalizedReturnee: "radicalized_returnee"
        case .irregularMigration: "irregular_migration"
        case .migrantSmuggling: "migrant_smuggling"
        case .humanTrafficking: "human_trafficking"
        case .smugglingGoods: "smuggling_goods"
        case .drugTrafficking: "drug_trafficking"
        case .crossBorderTerrorism: "cross_border_terrorism"
        case .foreignArmedGroup: "foreign_armed_group"
        case .identityFraud: "identity_fraud"
        case .armsTrafficking: "arms_trafficking"
        case .illegalFishing: "illegal_fishing"
        case .seaPollution: "sea_pollution"
        case .other: "other"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_Severity: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .extreme: "extreme"
        case .severe: "severe"
        case .moderate: "moderate"
        case .minor: "minor"
        case .unknown: "unknown"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_Urgency: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .immediate: "immediate"
        case .expected: "expected"
        case .future: "future"
        case .past: "past"
        case .unknown: "unknown"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_Certainty: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .observed: "observed"
        case .likely: "likely"
        case .possible: "possible"
        case .unlikely: "unlikely"
        case .unknown: "unknown"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_Tlp: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .clear: "clear"
        case .green: "green"
        case .amber: "amber"
        case .amberStrict: "amber+strict"
        case .red: "red"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }

    /// Labels under which `recipients` may be given (TLP 2.0 restricted sharing).
    public var allowsRecipients: Bool {
        self == .amber || self == .amberStrict || self == .red
    }
}

extension Ibm_V1_Subject.OneOf_Kind {
    /// The JSON `kind` of this subject.
    public var jsonName: String {
        switch self {
        case .vehicle: "vehicle"
        case .person: "person"
        case .weapon: "weapon"
        case .goods: "goods"
        case .vessel: "vessel"
        case .group: "group"
        case .consignment: "consignment"
        }
    }

    public static let jsonNames = ["vehicle", "person", "weapon", "goods", "vessel", "group", "consignment"]
}

extension Ibm_V1_Outcome: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .accepted: "accepted"
        case .duplicate: "duplicate"
        case .correlated: "correlated"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_ErrorCode: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .malformed: "malformed"
        case .invalid: "invalid"
        case .unknownReference: "unknown_reference"
        case .forbidden: "forbidden"
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_EventKind: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .opened: "opened"
        case .updated: "updated"
        case .closed: "closed"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_IncidentStatus: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .open: "open"
        case .closed: "closed"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}

extension Ibm_V1_CloseReason: JSONSpelledEnum {
    public var jsonName: String? {
        switch self {
        case .cancelled: "cancelled"
        case .idle: "idle"
        case .merged: "merged"
        case .withdrawn: "withdrawn"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}
