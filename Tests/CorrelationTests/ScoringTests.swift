import Correlation
import Foundation
import IBMProtocol
import Testing

@Suite struct ScoringTests {
    let truth = ScenarioTruth(events: ["E1": ["a", "b", "c"], "E2": ["d", "e"], "E3": ["f"]],
                              hardNegatives: [("a", "d"), ("c", "f")], resendLines: [])

    private func clusters(_ pairs: [(String, String)]) -> [ClusterAssignment] {
        pairs.map { ClusterAssignment(alertID: $0.0, origin: "x", incidentID: $0.1) }
    }

    @Test func theTruthItselfScoresOne() {
        let score = CorrelationScoring.score(clusters([("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "2"), ("f", "3")]), truth: truth)
        #expect(score.f1 == 1)
        #expect(score.truePairs == 4)
        #expect(score.hardNegativesMerged == 0)
    }

    @Test func everythingApartIsPrecisionOneRecallZero() {
        let score = CorrelationScoring.score([], truth: truth)
        #expect(score.precision == 1)
        #expect(score.recall == 0)
        #expect(score.f1 == 0)
        #expect(score.predictedPairs == 0)
    }

    @Test func pairsAreCountedLikeTheReferenceScript() {
        // {a,b,d} {c,f} {e}: predicted 3 + 1 = 4, correct 1 (a-b), true 4.
        let score = CorrelationScoring.score(clusters([("a", "1"), ("b", "1"), ("d", "1"), ("c", "2"), ("f", "2"), ("e", "3")]), truth: truth)
        #expect(score.predictedPairs == 4)
        #expect(score.correctPairs == 1)
        #expect(score.precision == 0.25)
        #expect(score.recall == 0.25)
        #expect(score.hardNegativesMerged == 2)
        #expect(score.description == "precision 0.2500 recall 0.2500 F1 0.2500 hard negatives merged 2")
    }

    @Test func theFirstAssignmentOfAnAlertCounts() {
        let score = CorrelationScoring.score(clusters([("a", "1"), ("a", "2"), ("b", "1")]), truth: truth)
        #expect(score.correctPairs == 1)
    }

    @Test func truthFileParses() throws {
        let data = Data(#"{"events": {"EV1": ["a", "b"]}, "hard_negatives": [["a", "c"]], "resend_lines": [3, 7]}"#.utf8)
        let parsed = try ScenarioTruth.parse(data)
        #expect(parsed.events == ["EV1": ["a", "b"]])
        #expect(parsed.hardNegatives.count == 1)
        #expect(parsed.resendLines == [3, 7])
        #expect(throws: ScoringError.self) { try ScenarioTruth.parse(Data("[]".utf8)) }
    }

    @Test func resendsAreNotScoredTwice() throws {
        let truth = try ScenarioTruth.load(path: DevScenario.truthPath)
        let all = try CorrelationScoring.cluster(alertsJSONL: DevScenario.alertsPath, engine: .rules(.default))
        let withoutResends = try CorrelationScoring.cluster(alertsJSONL: DevScenario.alertsPath, engine: .rules(.default),
                                                            skipLines: truth.resendLines)
        // The engine drops a resent (origin, id) like the hub does; skipping the lines changes nothing.
        #expect(all == withoutResends)
        #expect(all.count == 708)
        #expect(Set(all.map(\.alertID)).count == 708)
    }

    @Test func clusteringPrintsAsJSONLines() {
        let line = ClusterAssignment(alertID: "bor-1", origin: "border", incidentID: "inc-0000000001").jsonLine
        #expect(line == #"{"alert_id":"bor-1","incident_id":"inc-0000000001"}"#)
    }

    @Test func theNaiveBaselineJoinsOnlyIdenticalIdentifiers() {
        let alerts = [
            makeAlert("a", subjects: [Subject.vehicle("123 TUN 4567")]),
            makeAlert("b", origin: "customs", minutes: 5, subjects: [Subject.vehicle("123 TUN 4567")]),
            makeAlert("c", origin: "migration", minutes: 6, subjects: [Subject.vehicle("123TUN4567")]),
            makeAlert("d", origin: "migration", minutes: 7),
            makeAlert("e", origin: "customs", type: .update, references: ["b"], minutes: 8),
        ]
        let naive = CorrelationScoring.cluster(alerts, engine: .naiveBaseline).map(\.incidentID)
        #expect(naive[0] == naive[1])
        #expect(naive[2] != naive[0])
        #expect(naive[3] != naive[0])
        #expect(naive[4] == naive[1])
        let engine = CorrelationScoring.cluster(alerts, engine: .rules(.default)).map(\.incidentID)
        #expect(Set(engine).count == 1)
    }
}
