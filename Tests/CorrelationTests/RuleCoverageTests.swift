import Correlation
import IBMProtocol
import Testing

/// Every rule of Config/correlation.yaml, for every category, shown joining and not joining.
/// The cases are derived from the file itself, so a rule added or changed there is covered.
@Suite struct RuleCoverageTests {
    static let rules: CorrelationRules = (try? CorrelationRules.load(path: RepositoryConfig.correlationPath)) ?? .default
    static let categories = Ibm_V1_Category.allCases.filter { $0.jsonName != nil }

    struct IdentifierCase: CustomTestStringConvertible, Sendable {
        var category: Ibm_V1_Category
        var kind: IdentifierKind
        var rule: IdentifierRule
        var testDescription: String { "\(category.jsonName ?? "?") \(kind.rawValue)" }
    }

    static let identifierCases: [IdentifierCase] = categories.flatMap { category in
        IdentifierKind.allCases.compactMap { kind in
            rules.rules(for: category).identifiers[kind].map { IdentifierCase(category: category, kind: kind, rule: $0) }
        }
    }

    struct ProximityCase: CustomTestStringConvertible, Sendable {
        var category: Ibm_V1_Category
        var rule: ProximityRule
        var testDescription: String { "\(category.jsonName ?? "?") proximity" }
    }

    static let proximityCases: [ProximityCase] = categories.compactMap { category in
        rules.rules(for: category).proximity.map { ProximityCase(category: category, rule: $0) }
    }

    /// Two identifiers of `kind` that are different but look alike, and a written variant of the first.
    static func values(_ kind: IdentifierKind) -> (value: String, variant: String, other: String) {
        switch kind {
        case .plate: ("123 TUN 4567", "١٢٣ تونس ٤٥٦٧", "123 TUN 4568")
        case .document: ("P 1997 1892", "p19971892", "P19971893")
        case .serial: ("AK 47-1234", "ak471234", "AK471235")
        case .mmsi: ("642 201 154", "642201154", "642201155")
        case .imo: ("IMO 9545742", "9545742", "9545743")
        case .consignment: ("MSCU 774841-2", "mscu7748412", "MSCU7748413")
        }
    }

    /// Two reports of `kind` by different agencies, `minutes` apart and `km` apart, in categories
    /// far from proximity range unless `km` is small; the second uses `second` as its value.
    private func pair(_ c: IdentifierCase, minutes: Double, km: Double, second: String? = nil) -> (Ibm_V1_Alert, Ibm_V1_Alert) {
        let values = Self.values(c.kind)
        let a = makeAlert("a-1", origin: "border", minutes: 0, category: c.category, subjects: [Subject.carrying(c.kind, values.value)])
        let b = makeAlert("b-1", origin: "customs", minutes: minutes, category: c.category, lat: north(of: 33.15, km: km),
                          subjects: [Subject.carrying(c.kind, second ?? values.variant)])
        return (a, b)
    }

    /// Minutes past the window (plus clock skew): too late to join.
    private func late(_ window: Int64) -> Double {
        Double(window + Self.rules.clockSkewMilliseconds) / 60_000 + 1
    }

    /// Far enough that proximity never applies, within any max_km.
    private let farKm = 50.0

    @Test(arguments: identifierCases)
    func identifierJoinsWithinItsWindow(_ c: IdentifierCase) {
        let minutes = Double(c.rule.windowMilliseconds + Self.rules.clockSkewMilliseconds) / 60_000 - 1
        let (a, b) = pair(c, minutes: minutes, km: min(farKm, c.rule.maxKm ?? farKm))
        var feeder = Feeder(rules: Self.rules)
        feeder.apply(a)
        let result = feeder.apply(b)
        #expect(result.outcome == .joined)
        #expect(result.rule == c.kind.rawValue)
        #expect(result.matchedKey.hasPrefix(c.kind.rawValue + ":"))
    }

    @Test(arguments: identifierCases)
    func identifierDoesNotJoinOutsideItsWindow(_ c: IdentifierCase) {
        let (a, b) = pair(c, minutes: late(c.rule.windowMilliseconds), km: farKm)
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: identifierCases)
    func identifierDoesNotJoinADifferentIdentifier(_ c: IdentifierCase) {
        let (a, b) = pair(c, minutes: 5, km: farKm, second: Self.values(c.kind).other)
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: identifierCases.filter { $0.rule.maxKm != nil })
    func identifierDoesNotJoinTooFar(_ c: IdentifierCase) {
        let (a, b) = pair(c, minutes: 5, km: (c.rule.maxKm ?? 0) + 5)
        #expect(!Feeder.joins(a, b, rules: Self.rules))
        let (near, nearB) = pair(c, minutes: 5, km: (c.rule.maxKm ?? 0) - 5)
        #expect(Feeder.joins(near, nearB, rules: Self.rules))
    }

    @Test(arguments: proximityCases)
    func proximityJoinsTheSameCategoryNearby(_ c: ProximityCase) {
        let minutes = Double(c.rule.windowMilliseconds + Self.rules.clockSkewMilliseconds) / 60_000 - 1
        let a = makeAlert("a-1", origin: "border", category: c.category, subjects: [Subject.group(20)])
        let b = makeAlert("b-1", origin: "migration", minutes: minutes, category: c.category,
                          lat: north(of: 33.15, km: c.rule.maxKm * 0.95), subjects: [])
        var feeder = Feeder(rules: Self.rules)
        feeder.apply(a)
        let result = feeder.apply(b)
        #expect(result.outcome == .joined)
        #expect(result.rule == "proximity")
        #expect(result.matchedKey == "proximity:TN-LY")
    }

    @Test(arguments: proximityCases)
    func proximityDoesNotJoinTooFar(_ c: ProximityCase) {
        let a = makeAlert("a-1", category: c.category)
        let b = makeAlert("b-1", origin: "migration", minutes: 1, category: c.category, lat: north(of: 33.15, km: c.rule.maxKm * 1.05))
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: proximityCases)
    func proximityDoesNotJoinOutsideItsWindow(_ c: ProximityCase) {
        let a = makeAlert("a-1", category: c.category)
        let b = makeAlert("b-1", origin: "migration", minutes: late(c.rule.windowMilliseconds), category: c.category)
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: proximityCases)
    func proximityDoesNotJoinAnotherCategory(_ c: ProximityCase) {
        let a = makeAlert("a-1", category: c.category)
        let other: Ibm_V1_Category = c.category == .other ? .smugglingGoods : .other
        let b = makeAlert("b-1", origin: "migration", minutes: 1, category: other)
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: proximityCases)
    func proximityDoesNotJoinReportsWithDifferentIdentifiers(_ c: ProximityCase) {
        // Two people called Mohamed Ali with different documents are two people.
        let a = makeAlert("a-1", category: c.category,
                          subjects: [Subject.person("Mohamed Ali", document: "A1234567", nationality: "EG")])
        let b = makeAlert("b-1", origin: "migration", minutes: 1, category: c.category,
                          subjects: [Subject.person("Mohammed Ali", document: "B7654321", nationality: "SD")])
        #expect(!Feeder.joins(a, b, rules: Self.rules))
    }

    @Test(arguments: categories)
    func idleAfterClosesTheIncident(_ category: Ibm_V1_Category) {
        let idle = Self.rules.rules(for: category).idleMilliseconds
        var feeder = Feeder(rules: Self.rules)
        let opened = feeder.apply(makeAlert("a-1", category: category))
        #expect(feeder.expire(asOf: baseMs + idle).isEmpty)
        let closed = feeder.expire(asOf: baseMs + idle + 1)
        #expect(closed.count == 1)
        #expect(closed.first?.incident.id == opened.incidentID)
        #expect(closed.first?.closeReason == .idle)
    }
}
