import HubClient
import IBMProtocol
import SwiftProtobuf
import Testing
import TestSupport
import ZeroMQ

/// Sync requests found while fuzzing the hub's sync path (Fuzz/Sources/FuzzSync), sent
/// to a real hub process: each is refused with a reason, and the hub keeps serving.
@Suite struct SyncHostileRequestTests {
    @Test func replayBoundsBeyondAnyDateAreRefusedAndTheHubKeepsServing() throws {
        let hub = try HubProcess(label: "sync-bounds")
        try hub.start()
        defer { hub.stop() }
        let context = try ZMQContext()
        let sync = try SyncClient(context: context, endpoint: hub.address.sync, security: .insecure)

        // since.seconds = Int64.max once overflowed the conversion to milliseconds and
        // trapped the sync thread, which took the whole hub down.
        var since = Ibm_V1_ReplayRequest()
        since.since = Google_Protobuf_Timestamp(seconds: .max, nanos: 0)
        var until = Ibm_V1_ReplayRequest()
        until.until = Google_Protobuf_Timestamp(seconds: .min, nanos: 0)
        var category = Ibm_V1_ReplayRequest()
        category.filter.categories = [.UNRECOGNIZED(99)]
        for (request, field) in [(since, "replay.since"), (until, "replay.until"), (category, "replay.filter.categories[0]")] {
            do {
                _ = try sync.replay(request) { _ in Issue.record("a record was replayed for \(field)") }
                Issue.record("\(field) was accepted")
            } catch let HubClientError.refused(code, reason) {
                #expect(code == "invalid")
                #expect(reason.hasPrefix(field))
            }
        }

        let answers = try publishAll(Array(try DevScenario.alerts().prefix(20)), to: hub, context: context)
        #expect(answers.allSatisfy { $0?.ack != nil })
        let (incidents, high) = try sync.snapshot()
        #expect(!incidents.isEmpty)
        #expect(high > 0)
        #expect(hub.child?.isRunning == true)
    }
}
