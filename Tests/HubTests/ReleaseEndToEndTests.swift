import Foundation
import HubClient
import IBMProtocol
import SwiftProtobuf
import TestSupport
import Testing
import ZeroMQ

/// TLP release on a real hub with real CURVE keys: feed, sync snapshot and sync replay.
@Suite(.serialized) struct ReleaseEndToEndTests {
    static let members: [SecureHub.Member] = [
        .init(name: "border", role: "agency"), .init(name: "customs", role: "agency"),
        .init(name: "migration", role: "agency"), .init(name: "ncc", role: "coordinator"),
    ]

    @Test func migrationNeverSeesCustomsReportsForBorderOnly() throws {
        let secure = try SecureHub(label: "release", members: Self.members)
        try secure.hub.start(arguments: [])
        defer { secure.hub.stop() }
        let context = try ZMQContext()

        // Raw subscribers, connected before anything is published. Migration asks for every
        // channel it can name, and for everything: the hub grants only its own.
        let migrationTap = try FeedTap(context: context, hub: secure, security: try secure.security("migration"),
                                       prefixes: ["", "all/", "@border/", "@ncc/", "@customs/"])
        let coordinatorTap = try FeedTap(context: context, hub: secure, security: try secure.security("ncc"))
        let borderTap = try FeedTap(context: context, hub: secure, security: try secure.security("border"))
        let strangerTap = try FeedTap(context: context, hub: secure, security: try secure.strangerSecurity())
        for tap in [migrationTap, coordinatorTap, borderTap] {
            try tap.collect(milliseconds: 10_000) { messages in !messages.isEmpty }  // a heartbeat: granted
            #expect(tap.heartbeats > 0)
        }

        // Border reports a truck (green); customs adds a report on the same plate for border
        // only (amber+strict), which joins; and a red report for border only on another plate.
        let answers = try publish(
            [try makeAlert("bor-1", origin: "border", plate: "123 TN 4567", headline: "Truck seen at the crossing")],
            to: secure, as: try secure.security("border"), context: context)
        #expect(answers[0]?.ack?.outcome == .accepted)
        let customs = try publish(
            [try makeAlert("cus-1", origin: "customs", tlp: "amber+strict", recipients: ["border"], plate: "123TN4567",
                           headline: "STRICTSECRET rifles under the load"),
             try makeAlert("cus-2", origin: "customs", tlp: "red", recipients: ["border"], plate: "999 TN 1111",
                           headline: "REDSECRET informant report", lat: 33.5)],
            to: secure, as: try secure.security("customs"), context: context)
        #expect(customs[0]?.ack?.outcome == .correlated)
        #expect(customs[1]?.ack?.outcome == .accepted)
        let lastSeq = try #require(customs[1]?.ack?.seq)

        func sawEverything(_ messages: [[[UInt8]]]) -> Bool {
            messages.contains { frames in
                frames.count == 2 && String(decoding: frames[0], as: UTF8.self).hasSuffix("/hb")
                    && ((try? Ibm_V1_Heartbeat(serializedBytes: frames[1]))?.lastSeq ?? 0) >= lastSeq
            }
        }
        try borderTap.collect(milliseconds: 10_000, until: sawEverything)
        try coordinatorTap.collect(milliseconds: 10_000, until: sawEverything)
        try migrationTap.collect(milliseconds: 3000)
        try strangerTap.collect(milliseconds: 500)

        // Feed: migration gets only its channel, the border report, nothing of customs.
        #expect(migrationTap.topics.allSatisfy { $0.hasPrefix("@migration/") })
        #expect(migrationTap.events.count == 2)  // opened, then updated (by a report it cannot see)
        #expect(migrationTap.events.allSatisfy { $0.incident.contributions.map(\.origin) == ["border"] })
        for secret in ["STRICTSECRET", "REDSECRET", "customs", "cus-1", "cus-2"] {
            #expect(!migrationTap.contains(secret), "migration received \(secret) on the feed")
        }
        // The coordinator sees amber+strict, not red; border sees both.
        #expect(coordinatorTap.topics.allSatisfy { $0.hasPrefix("@ncc/") })
        #expect(coordinatorTap.contains("STRICTSECRET"))
        #expect(!coordinatorTap.contains("REDSECRET"))
        #expect(borderTap.contains("STRICTSECRET"))
        #expect(borderTap.contains("REDSECRET"))
        // A key the hub does not know gets nothing at all.
        #expect(strangerTap.messages.isEmpty)

        // The per-identity prev_seq chain: each event names the previous one sent on that channel.
        let migrationSeqs = migrationTap.events.map(\.seq)
        #expect(migrationTap.events.dropFirst().map(\.prevSeq) == Array(migrationSeqs.dropLast()))

        // Sync snapshot, through the follower (snapshot, then feed, with gap recovery).
        let migrationFollower = try PictureFollower(context: context, address: secure.address,
                                                    security: try secure.security("migration"))
        try migrationFollower.follow(forMilliseconds: 2500)
        #expect(migrationFollower.incidents.count == 1)
        let seen = try #require(migrationFollower.incidents.values.first)
        #expect(seen.contributions.map(\.origin) == ["border"])
        #expect(seen.corroboration == 1)
        #expect(seen.highestSeverity == .severe)
        #expect(!bytesContain(try seen.serializedBytes(), "STRICTSECRET"))

        let coordinatorFollower = try PictureFollower(context: context, address: secure.address, security: try secure.security("ncc"))
        try coordinatorFollower.follow(forMilliseconds: 1500)
        #expect(coordinatorFollower.incidents.count == 1)
        #expect(coordinatorFollower.incidents.values.first?.contributions.count == 2)

        let borderSnapshot = try SyncClient(context: context, endpoint: secure.address.sync, security: try secure.security("border"))
            .snapshot().incidents
        #expect(borderSnapshot.count == 2)
        // A filter on origin sees only the view: migration asking for customs' incidents gets none.
        var byCustoms = Ibm_V1_Filter()
        byCustoms.origins = ["customs"]
        let filtered = try SyncClient(context: context, endpoint: secure.address.sync, security: try secure.security("migration"))
            .snapshot(filter: byCustoms).incidents
        #expect(filtered.isEmpty)

        // Sync replay with alerts: migration gets the border alert and redacted events only.
        let migrationReplay = try replayAll(secure, as: try secure.security("migration"), context: context)
        #expect(alertIDs(migrationReplay).contains("bor-1"))
        for record in migrationReplay {
            let bytes: [UInt8] = try record.serializedBytes()
            for secret in ["STRICTSECRET", "REDSECRET", "cus-1", "cus-2"] {
                #expect(!bytesContain(bytes, secret), "migration replay record \(record.seq) holds \(secret)")
            }
        }
        let coordinatorReplay = try replayAll(secure, as: try secure.security("ncc"), context: context)
        #expect(alertIDs(coordinatorReplay).contains("cus-1"))
        #expect(!alertIDs(coordinatorReplay).contains("cus-2"))
        let borderReplay = try replayAll(secure, as: try secure.security("border"), context: context)
        #expect(alertIDs(borderReplay).contains("cus-2"))

        // An unknown key gets no sync answer at all.
        let stranger = try SyncClient(context: context, endpoint: secure.address.sync, security: try secure.strangerSecurity())
        #expect(throws: HubClientError.self) { _ = try stranger.snapshot(timeoutMilliseconds: 1500) }

        // Border replaces its green report by one for customs only: migration could see the
        // incident and now sees nothing of it, so it gets a bare withdrawal and drops it.
        let update = try publish(
            [try makeAlert("bor-2", origin: "border", tlp: "red", recipients: ["customs"], plate: "123 TN 4567",
                           headline: "Truck seen, now restricted", msgType: "update", references: ["bor-1"])],
            to: secure, as: try secure.security("border"), context: context)
        #expect(update[0]?.ack != nil)
        var migrationEvents: [Ibm_V1_PictureEvent] = []
        try migrationFollower.follow(forMilliseconds: 10_000, until: { migrationFollower.incidents.isEmpty }) {
            migrationEvents.append($0)
        }
        #expect(migrationFollower.incidents.isEmpty)
        let withdrawal = try #require(migrationEvents.last)
        #expect(withdrawal.kind == .closed)
        #expect(withdrawal.closeReason == .withdrawn)
        #expect(withdrawal.incident.contributions.isEmpty)
        #expect(!bytesContain(try withdrawal.serializedBytes(), "restricted"))
        #expect(secure.hub.child?.isRunning == true)
    }
}

/// The ids of the alert records of a replay.
func alertIDs(_ records: [Ibm_V1_ReplayRecord]) -> Set<String> {
    Set(records.compactMap { record in
        guard case let .alert(alert) = record.body else { return nil }
        return alert.id
    })
}
