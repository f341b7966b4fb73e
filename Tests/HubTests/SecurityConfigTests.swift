@testable import Hub
import IBMProtocol
import Testing
import YAMLConfig

/// Publish rights, rate limits and the token bucket, without a process.
@Suite struct SecurityConfigTests {
    static let key = String(repeating: "A", count: 40)

    @Test func publishRightsAndRatesAreReadPerIdentity() throws {
        let yaml = """
        limits:
          publish_rate: 100
          publish_burst: 200
          sync_streams_per_identity: 2
          sync_requests_per_minute: 30
        identities:
          - name: customs
            role: agency
            public_key: "\(Self.key)"
            publish: [smuggling_goods, drug_trafficking]
            publish_rate: 10
          - name: border
            role: agency
            public_key: "\(Self.key)"
          - name: ncc
            role: coordinator
            public_key: "\(Self.key)"
          - name: sec
            role: coordinator
            public_key: "\(Self.key)"
            publish: [all]
        """
        let configuration = try HubConfiguration.parse(ConfigNode.parse(yaml, file: "hub.yaml"))
        #expect(configuration.limits.publishRate == .init(perSecond: 100, burst: 200))
        #expect(configuration.limits.syncStreamsPerIdentity == 2)
        #expect(configuration.limits.syncRequestsPerMinute == 30)
        let byName = Dictionary(uniqueKeysWithValues: configuration.identities.map { ($0.name, $0) })
        let customs = try #require(byName["customs"])
        #expect(customs.mayPublish(.smugglingGoods) && customs.mayPublish(.drugTrafficking))
        #expect(!customs.mayPublish(.armsTrafficking))
        #expect(customs.publishRate == .init(perSecond: 10, burst: 200))
        #expect(byName["border"]?.mayPublish(.armsTrafficking) == true)
        #expect(byName["border"]?.publishRate == nil)
        #expect(byName["ncc"]?.mayPublish(.other) == false)
        #expect(byName["sec"]?.mayPublish(.seaPollution) == true)
    }

    @Test func anUnknownCategoryIsRefusedWithItsLine() throws {
        let yaml = """
        identities:
          - name: customs
            role: agency
            public_key: "\(Self.key)"
            publish: [smuggling]
        """
        #expect(throws: ConfigError.self) { try HubConfiguration.parse(ConfigNode.parse(yaml, file: "hub.yaml")) }
        do {
            _ = try HubConfiguration.parse(ConfigNode.parse(yaml, file: "hub.yaml"))
        } catch {
            #expect("\(error)".contains("hub.yaml:5"))
            #expect("\(error)".contains("smuggling_goods"))
        }
    }

    @Test func theTokenBucketAllowsTheBurstThenPacesAtTheRate() {
        var bucket = TokenBucket(.init(perSecond: 10, burst: 3), now: 1_000)
        #expect((0..<3).map { _ in bucket.take(now: 1_000) } == [0, 0, 0])
        #expect(bucket.take(now: 1_000) == 100)  // one token every 100 ms
        #expect(bucket.take(now: 1_050) == 50)
        #expect(bucket.take(now: 1_100) == 0)
        // A long pause refills to the burst, never beyond.
        #expect((0..<4).map { _ in bucket.take(now: 100_000) } == [0, 0, 0, 100])
        // A clock step backwards refills nothing.
        #expect(bucket.take(now: 50_000) > 0)
    }

    @Test func duplicateKeysAndBadKeysAreRefused() {
        let identity = HubConfiguration.Identity(name: "a", role: .agency, publicKey: Self.key)
        var other = identity
        other.name = "b"
        #expect(throws: HubError.self) { try HubSecurity.table([identity, other]) }
        let bad = HubConfiguration.Identity(name: "c", role: .agency, publicKey: String(repeating: "~", count: 40))
        #expect(throws: HubError.self) { try HubSecurity.table([bad]) }
    }

    @Test func aReloadReportsWhatChangedAndCountsRevocations() throws {
        let keyA = String(repeating: "A", count: 40), keyB = String(repeating: "B", count: 40)
        let border = HubConfiguration.Identity(name: "border", role: .agency, publicKey: keyA)
        let registry = IdentityRegistry([keyA: border])
        let customs = HubConfiguration.Identity(name: "customs", role: .agency, publicKey: keyB)
        let added = registry.replace(with: [keyA: border, keyB: customs])
        #expect(added.added == ["customs"] && added.removed.isEmpty)
        #expect(registry.revocations == 0)
        #expect(registry.audiences.map(\.name) == ["border", "customs"])
        let removed = registry.replace(with: [keyA: border])
        #expect(removed.removed == ["customs"])
        #expect(registry.revocations == 1)
        #expect(registry.identity(forUserID: keyB) == nil)
    }
}
