import ArgumentParser
import Correlation
import IBMProtocol

/// `ibmctl correlate`: runs alerts through the correlation engine offline, and scores it.
struct Correlate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cluster a JSON lines file of alerts offline, as the hub would, and score the result.",
        discussion: """
            Feeds FILE (one alert per line, the JSON form) through the correlation engine in \
            arrival order, with the hub's dedup, clock and idle expiry. Without --score it prints \
            one {"alert_id":"…","incident_id":"…"} line per distinct alert. With --score TRUTH.json \
            (the labelled truth of a scenario) it prints pairwise precision, recall and F1 and the \
            hard negatives merged, for the engine and for the naive baseline that joins only on \
            identical, un-normalised identifiers.

            Exit status: 0; 1 when --min-f1 is given and the engine scores below it; 2 on bad input.
            """)

    @Option(help: ArgumentHelp("Score the clustering against this truth file (scenarios' truth.json).", valueName: "truth"))
    var score: String?

    @Option(help: ArgumentHelp("Correlation rules (default: the built-in rules).", valueName: "path"))
    var rules: String?

    @Flag(help: "Without --score: cluster with the naive baseline instead of the engine.")
    var baseline = false

    @Option(help: ArgumentHelp("With --score: fail (exit 1) when the engine's F1 is below this.", valueName: "f1"))
    var minF1: Double?

    @Argument(help: ArgumentHelp("Alerts, one JSON object per line.", valueName: "file"))
    var file: String

    func validate() throws {
        if minF1 != nil, score == nil { throw ValidationError("--min-f1 needs --score") }
        if let minF1, !(0...1).contains(minF1) { throw ValidationError("--min-f1 must be from 0 to 1") }
    }

    func run() throws {
        var engineRules = CorrelationRules.default
        if let rules {
            do {
                engineRules = try CorrelationRules.load(path: rules)
            } catch {
                throw CtlError.usage("\(error)")
            }
        }
        let output = BufferedOutput.standardOutput()
        do {
            guard let score else {
                let engine: CorrelationEngine = baseline ? .naiveBaseline : .rules(engineRules)
                for assignment in try CorrelationScoring.cluster(alertsJSONL: file, engine: engine) {
                    output.write(assignment.jsonLine + "\n")
                }
                return
            }
            let truth = try ScenarioTruth.load(path: score)
            let alerts = try CorrelationScoring.readAlerts(path: file, skipLines: truth.resendLines)
            let engineScore = CorrelationScoring.score(
                CorrelationScoring.cluster(alerts, engine: .rules(engineRules)), truth: truth)
            let naiveScore = CorrelationScoring.score(CorrelationScoring.cluster(alerts, engine: .naiveBaseline), truth: truth)
            output.write("engine    \(engineScore) (of \(engineScore.hardNegativePairs))\n")
            output.write("baseline  \(naiveScore) (of \(naiveScore.hardNegativePairs))\n")
            output.write("alerts \(engineScore.alerts), true pairs \(engineScore.truePairs), "
                + "predicted \(engineScore.predictedPairs), correct \(engineScore.correctPairs)\n")
            output.flush()
            if let minF1, engineScore.f1 < minF1 {
                throw CtlError.checkFailed("F1 \(engineScore.f1) is below --min-f1 \(minF1)")
            }
        } catch let error as ScoringError {
            throw CtlError.usage("\(error)")
        }
    }
}
