import AgencyNode
import Foundation
import IBMProtocol
import TestSupport
import Testing
import YAMLConfig

@Suite struct ConfigurationTests {
    @Test(arguments: ["border", "migration", "customs"])
    func shippedConfigsLoad(agency: String) throws {
        let path = TestPaths.repository.appendingPathComponent("Config/\(agency).yaml").path
        let configuration = try AgencyConfiguration.load(path: path, agency: agency)
        #expect(configuration.agency == agency)
        #expect(configuration.httpPort == ["border": 7781, "migration": 7782, "customs": 7783][agency])
        #expect(configuration.profile.idPrefix == String(agency.prefix(3)) + "-")
        #expect(!configuration.profile.reports.isEmpty)
        #expect(!configuration.profile.receives.isEmpty)
        #expect(configuration.dataDirectory == "data/\(agency)")
    }

    @Test func theBinaryRefusesAnotherAgencysConfig() throws {
        let path = TestPaths.repository.appendingPathComponent("Config/customs.yaml").path
        #expect {
            _ = try AgencyConfiguration.load(path: path, agency: "border")
        } throws: { "\($0)".contains("this is the border daemon") }
    }

    @Test func badKeysNameFileLineAndPath() throws {
        let cases: [(String, String)] = [
            ("agency: border\nhttp:\n  listen: 127.0.0.1:7781\nprofile:\n  id_prefix: bor-\n  receives: [arms, drugs]\n",
             "x.yaml:6:14: profile.receives[0]: \"arms\" is not one of"),
            ("agency: border\nhttp:\n  listen: 127.0.0.1:7781\nprofile:\n  id_prefix: bor-\n  subject_rules:\n    - kind: person\n      require_one_of: [[passport]]\n",
             "\"passport\" is not a field of a person"),
            ("agency: border\nhttp:\n  listen: nowhere\nprofile:\n  id_prefix: bor-\n", "x.yaml:3:11: http.listen: \"nowhere\" is not HOST:PORT"),
            ("agency: border\nhttp:\n  listen: 127.0.0.1:7781\nprofile:\n  id_prefix: bor-\noutbox:\n  windw: 5\n", "outbox.windw: unknown key"),
            ("agency: border\nhttp:\n  listen: 127.0.0.1:7781\n", "profile: is required"),
            ("agency: Border!\nhttp:\n  listen: 127.0.0.1:7781\nprofile:\n  id_prefix: bor-\n", "may contain only lower-case letters"),
        ]
        for (yaml, expected) in cases {
            #expect(throws: ConfigError.self, "\(expected)") {
                _ = try AgencyConfiguration.parse(ConfigNode.parse(yaml, file: "x.yaml"))
            }
            do {
                _ = try AgencyConfiguration.parse(ConfigNode.parse(yaml, file: "x.yaml"))
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
    }

    @Test func insecureIsForLoopbackOnly() throws {
        let yaml = "agency: border\nhttp:\n  listen: 127.0.0.1:7781\nhub:\n  host: 10.1.2.3\nprofile:\n  id_prefix: bor-\n"
        var configuration = try AgencyConfiguration.parse(ConfigNode.parse(yaml, file: "x.yaml"))
        configuration.insecure = true
        #expect { try configuration.validate() } throws: { "\($0)".contains("loopback") }
    }
}

@Suite struct ProfileTests {
    static func migration() throws -> AlertIntake {
        let path = TestPaths.repository.appendingPathComponent("Config/migration.yaml").path
        let configuration = try AgencyConfiguration.load(path: path, agency: "migration")
        return AlertIntake(agency: configuration.agency, profile: configuration.profile)
    }

    static let base = #"{"msg_type":"alert","observed_at":"2026-11-21T08:10:00Z","category":"irregular_migration","severity":"moderate","urgency":"expected","certainty":"observed","tlp":"green","headline":"Group at the fence","location":{"lat":32.0,"lon":10.7}"#

    @Test func migrationPersonsNeedADocumentOrANameAndNationality() throws {
        let intake = try Self.migration()
        let good = Self.base + #","subjects":[{"kind":"person","document":"P123"},{"kind":"person","name":"Ali Salem","nationality":"LY"}]}"#
        let alerts = try intake.decodeJSON(Array(good.utf8))
        #expect(alerts.count == 1)
        #expect(alerts[0].origin == "migration")
        #expect(alerts[0].id.hasPrefix("mig-") && alerts[0].id.count == 24)

        let bad = Self.base + #","subjects":[{"kind":"person","name":"Ali Salem"},{"kind":"person","document":"P1"},{"kind":"person","name":"X","nationality":""}]}"#
        #expect {
            _ = try intake.decodeJSON(Array(bad.utf8))
        } throws: { error in
            let issues = (error as? AlertValidationError)?.issues.map(\.description) ?? []
            return issues == [
                "subjects[0]: a person reported by migration needs document, or name and nationality",
                "subjects[2]: a person reported by migration needs document, or name and nationality",
            ]
        }
    }

    @Test func everyProblemOfEveryElementIsNamedTogetherWithTheProfileRules() throws {
        let intake = try Self.migration()
        let body = "[" + Self.base + #","origin":"customs","subjects":[{"kind":"person","name":"A"}]},{"id":"bad id","severity":"awful"}]"#
        do {
            _ = try intake.decodeJSON(Array(body.utf8))
            Issue.record("accepted a bad batch")
        } catch {
            let fields = Set(error.issues.map(\.field))
            for field in ["[0].origin", "[0].subjects[0]", "[1].id", "[1].severity", "[1].msg_type", "[1].headline", "[1].location",
                          "[1].category", "[1].observed_at"] {
                #expect(fields.contains(field), "\(field) missing from \(fields.sorted())")
            }
        }
    }

    @Test func seededIDsAreStableAndRandomOnesDiffer() throws {
        let intake = try Self.migration()
        let one = Array((Self.base + "}").utf8)
        let a = try intake.decodeJSON(one, idSeed: "spool:f.json")[0].id
        let b = try intake.decodeJSON(one, idSeed: "spool:f.json")[0].id
        let c = try intake.decodeJSON(one)[0].id
        let d = try intake.decodeJSON(one)[0].id
        #expect(a == b)
        #expect(c != d && c != a)
    }

    @Test func jsonLinesNameTheLine() throws {
        let intake = try Self.migration()
        let text = Self.base + "}\n\nnot json\n" + Self.base + #","subjects":[{"kind":"boat"}]}"# + "\n"
        #expect {
            _ = try intake.decodeJSONLines(Array(text.utf8))
        } throws: { error in
            let issues = (error as? AlertValidationError)?.issues.map(\.description) ?? []
            return issues.count == 2 && issues[0].hasPrefix("line 3: is not a JSON object")
                && issues[1].hasPrefix("line 4: subjects[0]")
        }
    }
}
