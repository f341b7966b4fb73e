import Correlation
import IBMProtocol
import Testing
import YAMLConfig

@Suite struct RulesFileTests {
    @Test func builtInDefaultEqualsTheRuleFile() throws {
        let loaded = try CorrelationRules.load(path: RepositoryConfig.correlationPath)
        #expect(loaded == CorrelationRules.default)
    }

    @Test func overridesMergeOverTheDefaults() throws {
        let rules = try CorrelationRules.parse("""
            clock_skew_tolerance: 5m
            max_open_incidents: 10
            defaults:
              idle_after: 12h
              identifiers:
                plate: { window: 24h, max_km: 800 }
                document: { window: 48h }
              proximity: { max_km: 3, window: 45m }
            categories:
              drug_trafficking:
                identifiers:
                  plate: off
                  serial: { window: 3d }
                proximity: off
            """, file: "test.yaml")
        #expect(rules.clockSkewMilliseconds == 5 * minute)
        #expect(rules.maxOpenIncidents == 10)
        let drugs = rules.rules(for: .drugTrafficking)
        #expect(drugs.identifiers[.plate] == nil)
        #expect(drugs.identifiers[.document] == IdentifierRule(windowMilliseconds: 48 * hour))
        #expect(drugs.identifiers[.serial] == IdentifierRule(windowMilliseconds: 72 * hour))
        #expect(drugs.proximity == nil)
        #expect(drugs.idleMilliseconds == 12 * hour)
        #expect(rules.rules(for: .other) == rules.defaults)
        #expect(rules.defaults.identifiers[.serial] == nil)
    }

    private let valid = """
        clock_skew_tolerance: 10m
        max_open_incidents: 1000
        defaults:
          idle_after: 24h
          identifiers:
            plate: { window: 24h, max_km: 800 }
          proximity: { max_km: 3, window: 45m }
        categories:
          sea_pollution:
            idle_after: 48h
        """

    private func failure(_ from: String, _ to: String) -> String {
        let text = valid.replacingOccurrences(of: from, with: to)
        #expect(text != valid, "the replacement must apply")
        do {
            _ = try CorrelationRules.parse(text, file: "Config/correlation.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func aBadRuleFileFailsWithFileLineColumnAndKey() {
        #expect(failure("idle_after: 24h", "idle_after: 24 hours")
            == #"Config/correlation.yaml:4:15: defaults.idle_after: "24 hours" is not a duration; write a number and a unit (ms, s, m, h, d), e.g. 90s, 45m, 6h, 7d"#)
        #expect(failure("    plate:", "    plates:")
            == "Config/correlation.yaml:6:5: defaults.identifiers.plates: unknown key; expected one of consignment, document, imo, mmsi, plate, serial")
        #expect(failure("sea_pollution:", "sea_polution:").hasPrefix("Config/correlation.yaml:9:3: categories.sea_polution: unknown category; expected one of narcoterrorism,"))
        #expect(failure("max_open_incidents: 1000", "max_open_incidents: 0")
            == "Config/correlation.yaml:2:21: max_open_incidents: 0 is outside 1...100000000")
        #expect(failure("max_open_incidents: 1000", "max_open_incidents: 1000\nmax_contributions: 1")
            == "Config/correlation.yaml:3:20: max_contributions: 1 is outside 2...1000000")
        #expect(failure("max_km: 3,", "max_km: -3,") == "Config/correlation.yaml:7:24: defaults.proximity.max_km: -3 is outside 0.0...20040.0")
        #expect(failure("window: 45m", "window: 0s") == "Config/correlation.yaml:7:35: defaults.proximity.window: must be longer than zero")
        #expect(failure("clock_skew_tolerance: 10m\n", "") == "Config/correlation.yaml:1:1: clock_skew_tolerance: is required")
        #expect(failure("  proximity: { max_km: 3, window: 45m }", "  proximity: { max_km: 3 }")
            == "Config/correlation.yaml:7:14: defaults.proximity.window: is required")
        #expect(failure("max_open_incidents: 1000", "max_open_incidents: 1000\nmax_open: 3")
            == "Config/correlation.yaml:3:1: max_open: unknown key; expected one of categories, clock_skew_tolerance, defaults, max_contributions, max_open_incidents")
        #expect(failure("    plate: { window: 24h, max_km: 800 }", "    plate: [24h]")
            == "Config/correlation.yaml:6:12: defaults.identifiers.plate: expected a mapping, found a list")
        #expect(failure("idle_after: 48h", "idle_after: 48h\n  idle_after: 2h").hasPrefix("Config/correlation.yaml:"))
        #expect(failure("defaults:", "defaults: {").hasPrefix("Config/correlation.yaml:"))
    }

    @Test func aMissingFileFailsClearly() {
        do {
            _ = try CorrelationRules.load(path: "/nonexistent/correlation.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.file == "/nonexistent/correlation.yaml")
            #expect(error.description.hasPrefix("/nonexistent/correlation.yaml: cannot read the file"))
        }
    }
}
