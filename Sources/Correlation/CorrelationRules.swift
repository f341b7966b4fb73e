import IBMProtocol
import YAMLConfig

/// The identifiers that can join two alerts, each from one subject kind.
public enum IdentifierKind: String, Sendable, CaseIterable, Hashable, Comparable {
    /// vehicle.plate (with vehicle.country or the country word on the plate)
    case plate
    /// person.document (with person.nationality)
    case document
    /// weapon.serial
    case serial
    /// vessel.mmsi
    case mmsi
    /// vessel.imo
    case imo
    /// consignment.reference
    case consignment

    public static func < (lhs: IdentifierKind, rhs: IdentifierKind) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// When one identifier joins: observed within `window` of each other and, if set, at most `maxKm` apart.
public struct IdentifierRule: Sendable, Equatable {
    public var windowMilliseconds: Int64
    public var maxKm: Double?

    public init(windowMilliseconds: Int64, maxKm: Double? = nil) {
        self.windowMilliseconds = windowMilliseconds
        self.maxKm = maxKm
    }

    /// The stricter of two rules, for alerts of two categories.
    func combined(with other: IdentifierRule) -> IdentifierRule {
        let km: Double? = switch (maxKm, other.maxKm) {
        case let (a?, b?): min(a, b)
        case let (a?, nil): a
        case let (nil, b): b
        }
        return IdentifierRule(windowMilliseconds: min(windowMilliseconds, other.windowMilliseconds), maxKm: km)
    }
}

/// Proximity-only joining: the same category within `maxKm` and `window`.
public struct ProximityRule: Sendable, Equatable {
    public var maxKm: Double
    public var windowMilliseconds: Int64

    public init(maxKm: Double, windowMilliseconds: Int64) {
        self.maxKm = maxKm
        self.windowMilliseconds = windowMilliseconds
    }
}

/// The rules of one category.
public struct CategoryRules: Sendable, Equatable {
    /// An incident closes when nothing has been observed for this long (by its first category).
    public var idleMilliseconds: Int64
    /// The identifiers that join, and how; a kind that is absent does not join.
    public var identifiers: [IdentifierKind: IdentifierRule]
    /// Nil: no proximity-only joining.
    public var proximity: ProximityRule?

    public init(idleMilliseconds: Int64, identifiers: [IdentifierKind: IdentifierRule], proximity: ProximityRule?) {
        self.idleMilliseconds = idleMilliseconds
        self.identifiers = identifiers
        self.proximity = proximity
    }
}

/// Everything the correlation engine is configured with: `Config/correlation.yaml`.
public struct CorrelationRules: Sendable, Equatable {
    /// Every time window is widened by this much, since agencies' clocks disagree.
    public var clockSkewMilliseconds: Int64
    /// Bound on incidents held in memory; beyond it the one closest to its idle close closes.
    public var maxOpenIncidents: Int
    /// Bound on the reports one incident holds. A full incident absorbs nothing more (a match
    /// to it opens a new incident), so a report repeated forever cannot make every event
    /// that carries the incident grow without limit.
    public var maxContributions: Int
    /// Rules of every category without an override.
    public var defaults: CategoryRules
    /// Fully resolved rules of the categories that override the defaults.
    public var categories: [Ibm_V1_Category: CategoryRules]

    public init(clockSkewMilliseconds: Int64, maxOpenIncidents: Int, maxContributions: Int = 10_000,
                defaults: CategoryRules, categories: [Ibm_V1_Category: CategoryRules]) {
        self.clockSkewMilliseconds = clockSkewMilliseconds
        self.maxOpenIncidents = maxOpenIncidents
        self.maxContributions = maxContributions
        self.defaults = defaults
        self.categories = categories
    }

    public func rules(for category: Ibm_V1_Category) -> CategoryRules {
        categories[category] ?? defaults
    }

    /// The rules of `Config/correlation.yaml`, built in so that a hub without the file works the same.
    public static let `default`: CorrelationRules = {
        let hour: Int64 = 3_600_000
        let minute: Int64 = 60_000
        let defaults = CategoryRules(
            idleMilliseconds: 24 * hour,
            identifiers: [
                .plate: IdentifierRule(windowMilliseconds: 24 * hour, maxKm: 800),
                .document: IdentifierRule(windowMilliseconds: 48 * hour),
                .serial: IdentifierRule(windowMilliseconds: 72 * hour),
                .mmsi: IdentifierRule(windowMilliseconds: 48 * hour, maxKm: 1000),
                .imo: IdentifierRule(windowMilliseconds: 48 * hour, maxKm: 1000),
                .consignment: IdentifierRule(windowMilliseconds: 7 * 24 * hour),
            ],
            proximity: ProximityRule(maxKm: 3, windowMilliseconds: 45 * minute)
        )
        var maritime = defaults
        maritime.proximity = ProximityRule(maxKm: 10, windowMilliseconds: 2 * hour)
        maritime.idleMilliseconds = 48 * hour
        return CorrelationRules(
            clockSkewMilliseconds: 10 * minute,
            maxOpenIncidents: 100_000,
            defaults: defaults,
            categories: [.illegalFishing: maritime, .seaPollution: maritime]
        )
    }()
}

// MARK: - Loading

extension CorrelationRules {
    /// Loads the rules file; any mistake fails with its file, line, column and key path.
    public static func load(path: String) throws(ConfigError) -> CorrelationRules {
        try from(ConfigNode.load(path: path))
    }

    public static func parse(_ yaml: String, file: String) throws(ConfigError) -> CorrelationRules {
        try from(ConfigNode.parse(yaml, file: file))
    }

    static let maxWindow: Int64 = 365 * 86_400_000

    static func from(_ root: ConfigNode) throws(ConfigError) -> CorrelationRules {
        let top = try root.mapping(allowedKeys: ["clock_skew_tolerance", "max_open_incidents", "max_contributions", "defaults", "categories"])
        let skew = try window(root.required("clock_skew_tolerance", in: top), allowZero: true, max: 86_400_000)
        let maxOpen = try root.required("max_open_incidents", in: top).int(in: 1...100_000_000)
        var maxContributions = 10_000
        if let node = top["max_contributions"] { maxContributions = try node.int(in: 2...1_000_000) }

        let defaultsNode = try root.required("defaults", in: top)
        let defaultKeys = try defaultsNode.mapping(allowedKeys: ["idle_after", "identifiers", "proximity"])
        let defaults = CategoryRules(
            idleMilliseconds: try window(defaultsNode.required("idle_after", in: defaultKeys)),
            identifiers: try identifiers(defaultsNode.required("identifiers", in: defaultKeys), base: [:]),
            proximity: try proximity(defaultsNode.required("proximity", in: defaultKeys))
        )

        var categories: [Ibm_V1_Category: CategoryRules] = [:]
        if let categoriesNode = top["categories"], !categoriesNode.isNull {
            for entry in try categoriesNode.entries() {
                guard let category = Ibm_V1_Category(jsonName: entry.key) else {
                    throw ConfigError(file: entry.node.file, line: entry.line, column: entry.column, path: entry.node.path,
                                      message: "unknown category; expected one of \(Ibm_V1_Category.jsonNames.joined(separator: ", "))")
                }
                let keys = try entry.node.mapping(allowedKeys: ["idle_after", "identifiers", "proximity"])
                var rules = defaults
                if let node = keys["idle_after"] { rules.idleMilliseconds = try window(node) }
                if let node = keys["identifiers"] { rules.identifiers = try identifiers(node, base: defaults.identifiers) }
                if let node = keys["proximity"] { rules.proximity = try proximity(node) }
                categories[category] = rules
            }
        }
        return CorrelationRules(clockSkewMilliseconds: skew, maxOpenIncidents: maxOpen, maxContributions: maxContributions,
                                defaults: defaults, categories: categories)
    }

    private static func window(_ node: ConfigNode, allowZero: Bool = false, max: Int64 = maxWindow) throws(ConfigError) -> Int64 {
        let value = try node.milliseconds()
        guard value > 0 || (allowZero && value == 0) else { throw node.error("must be longer than zero") }
        guard value <= max else { throw node.error("\"\(node.scalarText ?? "")\" is too long; at most \(max / 86_400_000)d") }
        return value
    }

    private static func kilometres(_ node: ConfigNode) throws(ConfigError) -> Double {
        let value = try node.double(in: 0...20_040)  // half the Earth's circumference
        guard value > 0 else { throw node.error("must be more than zero") }
        return value
    }

    private static func isOff(_ node: ConfigNode) -> Bool {
        if case .scalar("off", quoted: false) = node.value { return true }
        return false
    }

    /// `kind: {window, max_km}` or `kind: off`, merged over `base` kind by kind.
    private static func identifiers(_ node: ConfigNode, base: [IdentifierKind: IdentifierRule]) throws(ConfigError)
        -> [IdentifierKind: IdentifierRule]
    {
        var result = base
        let map = try node.mapping(allowedKeys: Set(IdentifierKind.allCases.map(\.rawValue)))
        for kind in IdentifierKind.allCases {
            guard let ruleNode = map[kind.rawValue] else { continue }
            if isOff(ruleNode) {
                result[kind] = nil
                continue
            }
            let keys = try ruleNode.mapping(allowedKeys: ["window", "max_km"])
            result[kind] = IdentifierRule(
                windowMilliseconds: try window(ruleNode.required("window", in: keys)),
                maxKm: try keys["max_km"].map { node throws(ConfigError) in try kilometres(node) }
            )
        }
        return result
    }

    private static func proximity(_ node: ConfigNode) throws(ConfigError) -> ProximityRule? {
        if isOff(node) { return nil }
        let keys = try node.mapping(allowedKeys: ["max_km", "window"])
        return ProximityRule(maxKm: try kilometres(node.required("max_km", in: keys)),
                             windowMilliseconds: try window(node.required("window", in: keys)))
    }
}
