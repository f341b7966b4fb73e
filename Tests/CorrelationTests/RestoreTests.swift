import Correlation
import IBMProtocol
import Testing

/// The hub rebuilds the engine by replaying its journal, or restores it from a checkpoint:
/// either way it must hold exactly the incidents it held before.
@Suite struct RestoreTests {
    /// Replays the dev traffic as the hub would (expiry before each alert at the traffic's clock).
    struct Run {
        var feeder = Feeder()
        var clock = Int64.min
        var log: [String] = []

        mutating func step(_ alert: Ibm_V1_Alert) {
            clock = max(clock, alert.observedAt.unixMilliseconds)
            log += digest(feeder.expire(asOf: clock))
            let result = feeder.apply(alert)
            log.append("\(result.outcome)|\(result.incidentID)|\(result.rule)|\(result.matchedKey)")
            log += digest(result.changes)
        }
    }

    @Test func feedingTheSameAlertsTwiceGivesTheSameIncidents() throws {
        let alerts = try DevScenario.alerts()
        var first = Run(), second = Run()
        for alert in alerts { first.step(alert) }
        for alert in alerts { second.step(alert) }
        #expect(first.log == second.log)
        #expect(first.feeder.correlator.openIncidents == second.feeder.correlator.openIncidents)
        #expect(first.feeder.correlator.serializedState() == second.feeder.correlator.serializedState())
    }

    @Test(arguments: [0.1, 0.5, 0.9])
    func restoringFromSerializedStateHoldsTheSameIncidents(cut: Double) throws {
        let alerts = try DevScenario.alerts()
        let split = Int(Double(alerts.count) * cut)
        var original = Run()
        for alert in alerts.prefix(split) { original.step(alert) }

        let state = original.feeder.correlator.serializedState()
        var restored = Run()
        restored.feeder.correlator = try Correlator(rules: .default, restoring: state)
        restored.feeder.seq = original.feeder.seq
        restored.clock = original.clock
        #expect(restored.feeder.correlator.openIncidents == original.feeder.correlator.openIncidents)
        #expect(restored.feeder.correlator.serializedState() == state)
        for alert in alerts.prefix(split) {
            #expect(restored.feeder.correlator.incidentID(origin: alert.origin, alertID: alert.id)
                == original.feeder.correlator.incidentID(origin: alert.origin, alertID: alert.id))
        }

        // From here on both must do exactly the same.
        original.log = []
        for alert in alerts.dropFirst(split) {
            original.step(alert)
            restored.step(alert)
        }
        #expect(restored.log == original.log)
        #expect(restored.feeder.correlator.openIncidents == original.feeder.correlator.openIncidents)
    }

    @Test func aLargeStateDecodedOnSeveralThreadsRestoresTheSameEngine() throws {
        // Enough incidents for the decoder to split the work: one plate each, a degree apart.
        var original = Feeder()
        for index in 0..<6000 {
            original.apply(makeAlert("p\(index)", lat: -60 + Double(index % 120), lon: -170 + Double(index / 120),
                                     subjects: [Subject.vehicle("5-\(100_000 + index)")]))
        }
        #expect(original.correlator.openIncidentCount == 6000)
        let state = original.correlator.serializedState()
        var serial = Feeder(), parallel = Feeder()
        serial.correlator = try Correlator(rules: .default, restoring: CorrelatorState(decoding: state, parallelism: 1))
        parallel.correlator = try Correlator(rules: .default, restoring: CorrelatorState(decoding: state, parallelism: 4))
        serial.seq = original.seq
        parallel.seq = original.seq
        #expect(parallel.correlator.openIncidents == original.correlator.openIncidents)
        #expect(parallel.correlator.serializedState() == state)
        #expect(serial.correlator.serializedState() == state)

        // A second report of one plate joins the same incident in all three.
        let next = makeAlert("q", origin: "customs", minutes: 5, lat: -60 + Double(4321 % 120), lon: -170 + Double(4321 / 120),
                             subjects: [Subject.vehicle("5 \(100_000 + 4321)")])
        let expected = original.apply(next)
        for var restored in [serial, parallel] {
            let result = restored.apply(next)
            #expect(result.outcome == .joined)
            #expect(result.incidentID == expected.incidentID)
            #expect(result.changes.map(\.incident) == expected.changes.map(\.incident))
        }
    }

    @Test func aCorruptStateIsRefused() {
        var feeder = Feeder()
        feeder.apply(makeAlert("a", subjects: [Subject.vehicle("5-123456")]))
        let state = feeder.correlator.serializedState()
        #expect(throws: CorrelationStateError.notCorrelatorState) { try Correlator(rules: .default, restoring: [1, 2, 3]) }
        #expect(throws: CorrelationStateError.truncated) { try Correlator(rules: .default, restoring: Array(state.dropLast(3))) }
        #expect(throws: CorrelationStateError.self) { try Correlator(rules: .default, restoring: state + [0]) }
        var badVersion = state
        badVersion[6] = 9
        #expect(throws: CorrelationStateError.unsupportedVersion(9)) { try Correlator(rules: .default, restoring: badVersion) }
    }

    @Test func theOrderOfIndependentIncidentsDoesNotMatter() {
        // Same events, different opening order: the incidents have the same content.
        let plate = makeAlert("a", subjects: [Subject.vehicle("5-123456")])
        let plate2 = makeAlert("b", origin: "customs", minutes: 5, subjects: [Subject.vehicle("5 123456")])
        let group = makeAlert("c", category: .irregularMigration, lat: 30, subjects: [Subject.group(9)])
        let group2 = makeAlert("d", origin: "migration", minutes: 5, category: .irregularMigration, lat: 30.001)
        var one = Feeder(), two = Feeder()
        for alert in [plate, group, plate2, group2] { one.apply(alert) }
        for alert in [group, plate, group2, plate2] { two.apply(alert) }
        let contents = { (f: Feeder) in Set(f.correlator.openIncidents.map { $0.contributions.map(\.alertID) }) }
        #expect(contents(one) == contents(two))
        #expect(contents(one) == [["a", "b"], ["c", "d"]])
    }
}
