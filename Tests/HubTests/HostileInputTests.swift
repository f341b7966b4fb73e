import Foundation
import HubClient
import IBMProtocol
import SwiftProtobuf
import Synchronization
import TestSupport
import Testing
import ZeroMQ

/// Authorization, key reload and hostile traffic against a real hub with real CURVE keys.
@Suite(.serialized) struct HostileInputTests {
    @Test func forbiddenCategoriesAndRevokedKeysAreRefusedAfterSIGHUP() throws {
        let secure = try SecureHub(label: "authz", members: [
            .init(name: "border", role: "agency"),
            .init(name: "customs", role: "agency", extra: "publish: [smuggling_goods, drug_trafficking]"),
            .init(name: "ncc", role: "coordinator"),
        ])
        try secure.hub.start(arguments: [])
        defer { secure.hub.stop() }
        let context = try ZMQContext()

        // A customs key may publish its categories only; a coordinator publishes nothing.
        let customs = try IngestClient(context: context, endpoint: secure.address.ingest, security: try secure.security("customs"))
        var answers: [PublishAnswer?] = [nil, nil]
        try customs.publish([
            try makeAlert("cus-ok", origin: "customs", plate: "11 TN 1", headline: "Cigarettes"),
            try makeAlert("cus-arms", origin: "customs", plate: "12 TN 2", headline: "Rifles", category: "arms_trafficking"),
        ], timeoutMilliseconds: 20_000) { answers[$0] = $1 }
        #expect(answers[0]?.ack != nil)
        #expect(answers[1]?.nack?.code == .forbidden)
        #expect(answers[1]?.nack?.reason.contains("may not publish category \"arms_trafficking\"") == true)
        let coordinator = try publish([try makeAlert("ncc-1", origin: "ncc", plate: "13 TN 3", headline: "Note")],
                                      to: secure, as: try secure.security("ncc"), context: context)
        #expect(coordinator[0]?.nack?.code == .forbidden)
        let metrics = HubProcess.httpGet(port: secure.hub.httpPort, path: "/metrics")?.body ?? ""
        #expect(metrics.contains("ibm_hub_security_refusals_total{reason=\"forbidden_category\"} 2"))

        // Connected before the reload: customs' ingest and feed, border's feed.
        let customsTap = try FeedTap(context: context, hub: secure, security: try secure.security("customs"))
        let borderTap = try FeedTap(context: context, hub: secure, security: try secure.security("border"))
        try customsTap.collect(milliseconds: 10_000) { !$0.isEmpty }
        try borderTap.collect(milliseconds: 10_000) { !$0.isEmpty }
        #expect(customsTap.heartbeats > 0)

        // Revoke customs, add migration, let border publish arms too: SIGHUP, no restart.
        try secure.writeIdentities([
            .init(name: "border", role: "agency"), .init(name: "migration", role: "agency"),
            .init(name: "ncc", role: "coordinator"),
        ])
        let pid = secure.hub.child?.pid
        try secure.reload(expectReloads: 1)
        #expect(secure.hub.log.contains("removed=[\"customs\"]"))
        #expect(secure.hub.child?.pid == pid && secure.hub.child?.isRunning == true)

        // The revoked key's existing ingest connection is refused from now on.
        var late: PublishAnswer?
        try customs.publish([try makeAlert("cus-late", origin: "customs", plate: "14 TN 4", headline: "Late")],
                            timeoutMilliseconds: 10_000) { late = $1 }
        #expect(late?.nack?.code == .forbidden)
        #expect(late?.nack?.reason.contains("revoked") == true)
        // Its feed connection is cut: after the rebind it hears nothing, while border reconnects.
        try customsTap.collect(milliseconds: 1000)
        customsTap.drop()
        borderTap.drop()
        try borderTap.collect(milliseconds: 10_000) { $0.contains { String(decoding: $0[0], as: UTF8.self) == "@border/hb" } }
        try customsTap.collect(milliseconds: 2500)
        #expect(customsTap.messages.isEmpty)
        #expect(borderTap.heartbeats > 0)
        // Its new handshakes fail: a fresh sync request gets no answer.
        let customsSync = try SyncClient(context: context, endpoint: secure.address.sync, security: try secure.security("customs"))
        #expect(throws: HubClientError.self) { _ = try customsSync.snapshot(timeoutMilliseconds: 1500) }
        // The added key works at once.
        let migration = try publish([try makeAlert("mig-1", origin: "migration", plate: "15 TN 5", headline: "Group")],
                                    to: secure, as: try secure.security("migration"), context: context)
        #expect(migration[0]?.ack != nil)

        // Rotation: migration gets a new key; a connection made with the old one is refused
        // from the reload on, and the new key works without a restart.
        let oldMigration = try IngestClient(context: context, endpoint: secure.address.ingest,
                                            security: try secure.security("migration"))
        var before: PublishAnswer?
        try oldMigration.publish([try makeAlert("mig-old", origin: "migration", plate: "17 TN 7", headline: "Old key")],
                                 timeoutMilliseconds: 10_000) { before = $1 }
        #expect(before?.ack != nil)
        try secure.rotateKey(of: "migration")
        try secure.writeIdentities([
            .init(name: "border", role: "agency"), .init(name: "migration", role: "agency"),
            .init(name: "ncc", role: "coordinator"),
        ])
        try secure.reload(expectReloads: 2)
        #expect(secure.hub.log.contains("changed=[\"migration\"]"))
        var after: PublishAnswer?
        try oldMigration.publish([try makeAlert("mig-old-2", origin: "migration", plate: "18 TN 8", headline: "Old key")],
                                 timeoutMilliseconds: 10_000) { after = $1 }
        #expect(after?.nack?.code == .forbidden)
        let rotated = try publish([try makeAlert("mig-new", origin: "migration", plate: "19 TN 9", headline: "New key")],
                                  to: secure, as: try secure.security("migration"), context: context)
        #expect(rotated[0]?.ack != nil)

        // A config that does not load leaves the admitted keys as they were.
        try "identities: [broken".write(to: secure.hub.configURL, atomically: true, encoding: .utf8)
        try secure.reload(expectReloads: 3)
        #expect(secure.hub.log.contains("identities not reloaded"))
        let still = try publish([try makeAlert("mig-2", origin: "migration", plate: "16 TN 6", headline: "Group 2")],
                                to: secure, as: try secure.security("migration"), context: context)
        #expect(still[0]?.ack != nil)
    }

    @Test func hostileTrafficIsRefusedWhileAnHonestAgencyKeepsGettingAcks() throws {
        let secure = try SecureHub(label: "hostile", members: [
            .init(name: "border", role: "agency"),
            .init(name: "customs", role: "agency", extra: "publish_rate: 20\n    publish_burst: 30"),
        ], extraYAML: "limits:\n  sync_requests_per_minute: 5\n")
        try secure.hub.start(arguments: [])
        defer { secure.hub.stop() }
        let context = try ZMQContext()

        // The honest publisher: border, on its own thread, throughout the attack.
        let honestCount = 400
        let honest = try (0..<honestCount).map {
            try makeAlert("bor-\($0)", origin: "border", plate: "\(1000 + $0) TN \($0)", headline: "Honest report \($0)",
                          lat: 20 + Double($0) * 0.02)
        }
        let address = secure.address
        let borderSecurity = try secure.security("border")
        let honestResult = AnswerBox()
        let honestThread = Thread {
            do {
                let context = try ZMQContext()
                let client = try IngestClient(context: context, endpoint: address.ingest, security: borderSecurity, window: 20)
                var answers = [PublishAnswer?](repeating: nil, count: honest.count)
                try client.publish(honest, timeoutMilliseconds: 120_000, paceMicroseconds: 5000) { answers[$0] = $1 }
                honestResult.answers.withLock { $0 = answers }
            } catch {
                honestResult.answers.withLock { $0 = [] }
            }
        }
        honestThread.start()

        let attacker = try context.makeSocket(.dealer)
        defer { attacker.close() }
        try attacker.set(.linger, 0)
        try secure.security("customs").apply(to: attacker)
        try attacker.connect(secure.address.ingest)
        func answer(timeoutMilliseconds: Int = 10_000) throws -> Ibm_V1_Nack? {
            var poller = Poller()
            try poller.add(attacker)
            guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds).isReadable(0),
                  let frames = try attacker.receiveMultipart(dontWait: true), let body = frames.last
            else { return nil }
            return try Ibm_V1_IngestReply(serializedBytes: body).nack
        }
        func publishRequest(_ alert: Ibm_V1_Alert) throws -> [UInt8] {
            var request = Ibm_V1_IngestRequest()
            request.publish = alert
            return try request.serializedBytes()
        }

        // Garbage frames.
        try attacker.send([0xFF, 0x00, 0x13, 0x37, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(try answer()?.code == .malformed)
        // A truncated multipart: two frames where the protocol has one.
        _ = try attacker.sendMultipart([[0x0A, 0x05], [0x01, 0x02]])
        #expect(try answer()?.code == .malformed)
        // An empty routing frame (a REQ envelope) with nothing after it.
        _ = try attacker.sendMultipart([[], []])
        #expect(try answer()?.code == .malformed)
        // Invalid UTF-8 in a string field.
        try attacker.send([0x0A, 0x04, 0x0A, 0x02, 0xFF, 0xFE])
        #expect(try answer()?.code == .malformed)
        // 10,000 subjects.
        var crowd = try makeAlert("cus-crowd", origin: "customs", plate: "1 TN 1", headline: "Crowd")
        crowd.subjects = Array(repeating: crowd.subjects[0], count: 10_000)
        try attacker.send(try publishRequest(crowd))
        let crowdAnswer = try answer()
        #expect(crowdAnswer?.code == .invalid)
        #expect(crowdAnswer?.reason.contains("subjects: has 10000 entries, more than the limit of 64") == true)
        // A NUL in a string.
        var nul = try makeAlert("cus-nul", origin: "customs", plate: "2 TN 2", headline: "Bad headline")
        nul.headline = "Bad\u{0}headline"
        try attacker.send(try publishRequest(nul))
        let nulAnswer = try answer()
        #expect(nulAnswer?.code == .invalid)
        #expect(nulAnswer?.reason.contains("headline: contains the control character U+0000") == true)
        // A timestamp in the year 9999.
        var future = try makeAlert("cus-9999", origin: "customs", plate: "3 TN 3", headline: "From the future")
        future.observedAt = Google_Protobuf_Timestamp(seconds: 253_402_300_000)
        try attacker.send(try publishRequest(future))
        let futureAnswer = try answer()
        #expect(futureAnswer?.code == .invalid)
        #expect(futureAnswer?.reason.contains("observed_at") == true)
        // A known key claiming another origin.
        let spoof = try makeAlert("cus-spoof", origin: "border", plate: "4 TN 4", headline: "Spoofed")
        try attacker.send(try publishRequest(spoof))
        #expect(try answer()?.code == .forbidden)
        // A 100 MB message: past ZMQ_MAXMSGSIZE, the hub drops the connection; nothing answers.
        let huge = try context.makeSocket(.dealer)
        defer { huge.close() }
        try huge.set(.linger, 0)
        try secure.security("customs").apply(to: huge)
        try huge.connect(secure.address.ingest)
        try huge.send([UInt8](repeating: 0x41, count: 100 << 20))
        var hugePoller = Poller()
        try hugePoller.add(huge)
        #expect(try hugePoller.poll(timeoutMilliseconds: 3000).isReadable(0) == false)
        // An unknown key: no answer at all.
        let stranger = try IngestClient(context: context, endpoint: secure.address.ingest, security: try secure.strangerSecurity())
        var strangerAnswers = 0
        try stranger.publish([spoof], timeoutMilliseconds: 2000) { _, _ in strangerAnswers += 1 }
        #expect(strangerAnswers == 0)

        // A flood past customs' rate limit: every alert is answered, the excess with rate_limited.
        let flood = try (0..<300).map {
            try makeAlert("cus-flood-\($0)", origin: "customs", plate: "\(5000 + $0) TN 9", headline: "Flood \($0)", lat: 25)
        }
        let floodAnswers = try publish(flood, to: secure, as: try secure.security("customs"), context: context)
        let limited = floodAnswers.compactMap { $0?.nack }.filter { $0.code == .rateLimited }
        #expect(floodAnswers.allSatisfy { $0 != nil })
        #expect(!limited.isEmpty)
        #expect(limited.allSatisfy { $0.retryAfterMs > 0 })
        #expect(floodAnswers.compactMap { $0?.ack }.count + limited.count == flood.count)

        // Sync requests past the per-identity limit are refused with rate_limited, not queued.
        let customsSync = try SyncClient(context: context, endpoint: secure.address.sync, security: try secure.security("customs"))
        for _ in 0..<5 { _ = try customsSync.snapshot() }
        do {
            _ = try customsSync.snapshot()
            Issue.record("the sixth sync request within a minute was served")
        } catch let HubClientError.refused(code, reason) {
            #expect(code == "rateLimited")
            #expect(reason.contains("5 sync requests per minute"))
        }

        // The honest agency's alerts were all acked, and the hub is up and counted it all.
        let deadline = Date().addingTimeInterval(150)
        while honestResult.answers.withLock({ $0 }) == nil, Date() < deadline { usleep(100_000) }
        let honestAnswers = try #require(honestResult.answers.withLock { $0 })
        #expect(honestAnswers.count == honestCount)
        #expect(honestAnswers.allSatisfy { $0?.ack != nil })
        #expect(secure.hub.child?.isRunning == true)
        #expect(HubProcess.httpStatus(port: secure.hub.httpPort, path: "/healthz") == 200)
        let metrics = HubProcess.httpGet(port: secure.hub.httpPort, path: "/metrics")?.body ?? ""
        for reason in ["rate_limited", "spoofed_origin", "unknown_key", "sync_rate_limited"] {
            #expect(metrics.contains("ibm_hub_security_refusals_total{reason=\"\(reason)\"}"), "\(reason) not counted")
        }
    }
}

/// Answers handed from the honest publisher's thread to the test.
final class AnswerBox: Sendable {
    let answers = Mutex<[PublishAnswer?]?>(nil)
}
