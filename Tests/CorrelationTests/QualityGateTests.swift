import Correlation
import Foundation
import Testing

@Suite struct QualityGateTests {
    @Test func devSetMeetsTheQualityBar() throws {
        let score = try CorrelationScoring.score(alertsJSONL: DevScenario.alertsPath, truthJSON: DevScenario.truthPath,
                                                 engine: .rules(.default))
        print("engine:   \(score)")
        #expect(score.f1 >= 0.95)
        #expect(score.hardNegativesMerged == 0)
        #expect(score.truePairs == 686)
        #expect(score.hardNegativePairs == 29)
    }

    @Test func naiveBaselineIsWorse() throws {
        let engine = try CorrelationScoring.score(alertsJSONL: DevScenario.alertsPath, truthJSON: DevScenario.truthPath,
                                                  engine: .rules(.default))
        let naive = try CorrelationScoring.score(alertsJSONL: DevScenario.alertsPath, truthJSON: DevScenario.truthPath,
                                                 engine: .naiveBaseline)
        print("baseline: \(naive)")
        #expect(naive.f1 < engine.f1)
    }
}
