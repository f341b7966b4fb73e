import Correlation
import Hub
import IBMProtocol
import SwiftProtobuf
import Testing

/// The TLP 2.0 release rules and the views built from them, as pure functions.
@Suite struct ReleaseTests {
    static let border = Release.Audience(name: "border", role: .agency)
    static let customs = Release.Audience(name: "customs", role: .agency)
    static let migration = Release.Audience(name: "migration", role: .agency)
    static let coordinator = Release.Audience(name: "ncc", role: .coordinator)

    static func contribution(_ origin: String, _ tlp: Ibm_V1_Tlp, recipients: [String] = [], seq: UInt64,
                             severity: Ibm_V1_Severity = .minor, category: Ibm_V1_Category = .smugglingGoods,
                             headline: String, observedMs: Int64, sector: String, cancelled: Bool = false) -> Ibm_V1_Contribution {
        var contribution = Ibm_V1_Contribution()
        contribution.alertID = "\(origin)-\(seq)"
        contribution.origin = origin
        contribution.tlp = tlp
        contribution.recipients = recipients
        contribution.seq = seq
        contribution.severity = severity
        contribution.category = category
        contribution.headline = headline
        contribution.observedAt = Google_Protobuf_Timestamp(unixMilliseconds: observedMs)
        contribution.rule = seq == 1 ? "opened" : "plate"
        contribution.matchedKey = seq == 1 ? "" : "plate:SECRET123"
        contribution.cancelled = cancelled
        var location = Ibm_V1_Location()
        location.sector = sector
        location.place = headline + " place"
        location.lat = 30 + Double(seq)
        location.lon = 10
        contribution.location = location
        return contribution
    }

    /// A green border report joined later by an amber+strict customs report for border only.
    static func incident() -> Ibm_V1_Incident {
        var incident = Ibm_V1_Incident()
        incident.id = "inc-0000000001"
        incident.status = .open
        incident.openedSeq = 2
        incident.updatedSeq = 4
        incident.contributions = [
            contribution("border", .green, seq: 1, headline: "Truck seen", observedMs: 1_000_000, sector: "TN-LY"),
            contribution("customs", .amberStrict, recipients: ["border"], seq: 3, severity: .extreme,
                         category: .armsTrafficking, headline: "Rifles in the truck", observedMs: 2_000_000, sector: "LY-SECRET"),
        ]
        incident.summarizeContributions()
        return incident
    }

    @Test(arguments: [
        // tlp, recipients, audience, released
        (Ibm_V1_Tlp.clear, [String](), ReleaseTests.migration, true),
        (.green, [], ReleaseTests.migration, true),
        (.amber, [], ReleaseTests.migration, true),
        (.amber, [], ReleaseTests.coordinator, true),
        (.amber, ["border"], ReleaseTests.migration, false),
        (.amber, ["border"], ReleaseTests.border, true),
        (.amber, ["border"], ReleaseTests.coordinator, true),
        (.amberStrict, ["border"], ReleaseTests.migration, false),
        (.amberStrict, ["border"], ReleaseTests.border, true),
        (.amberStrict, ["border"], ReleaseTests.coordinator, true),
        (.amberStrict, [], ReleaseTests.migration, false),
        (.amberStrict, [], ReleaseTests.coordinator, true),
        (.red, ["border"], ReleaseTests.border, true),
        (.red, ["border"], ReleaseTests.coordinator, false),
        (.red, ["border"], ReleaseTests.migration, false),
        (.red, ["ncc"], ReleaseTests.coordinator, true),
        (.unspecified, [], ReleaseTests.migration, false),
    ])
    func tlpRules(tlp: Ibm_V1_Tlp, recipients: [String], audience: Release.Audience, released: Bool) {
        #expect(Release.releases(tlp: tlp, recipients: recipients, origin: "customs", to: audience) == released)
    }

    @Test func theOriginAlwaysSeesItsOwn() {
        #expect(Release.releases(tlp: .red, recipients: ["border"], origin: "customs", to: Self.customs))
        #expect(Release.releases(tlp: .amberStrict, recipients: [], origin: "customs", to: Self.customs))
    }

    @Test func aViewKeepsOnlyReleasedContributionsAndDerivesEverythingFromThem() throws {
        let full = Self.incident()
        #expect(full.highestSeverity == .extreme)
        #expect(full.corroboration == 2)

        let view = try #require(Release.view(of: full, for: Self.migration))
        #expect(view.contributions.map(\.origin) == ["border"])
        #expect(view.highestSeverity == .minor)
        #expect(view.corroboration == 1)
        #expect(view.headline == "Truck seen")
        #expect(view.category == .smugglingGoods)
        #expect(view.location.sector == "TN-LY")
        #expect(view.lastSeen.unixMilliseconds == 1_000_000)
        #expect(view.firstSeen.unixMilliseconds == 1_000_000)
        // Nothing of the hidden report anywhere in the bytes.
        let bytes: [UInt8] = try view.serializedBytes()
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in ["Rifles", "LY-SECRET", "customs", "SECRET123"] {
            #expect(!text.contains(secret), "\(secret) leaked")
        }

        #expect(Release.view(of: full, for: Self.border) == full)
        #expect(Release.view(of: full, for: Self.coordinator) == full)
    }

    @Test func anIncidentWithNothingReleasedIsNotSeen() {
        var incident = Self.incident()
        incident.contributions.removeFirst()
        incident.summarizeContributions()
        #expect(Release.view(of: incident, for: Self.migration) == nil)
        #expect(Release.view(of: incident, for: Self.border) != nil)
    }

    @Test func anEventHidesTheAlertRuleAndKeyOfAHiddenReport() throws {
        var event = Ibm_V1_PictureEvent()
        event.seq = 4
        event.kind = .updated
        event.incident = Self.incident()
        var alert = Ibm_V1_Alert()
        alert.id = "customs-3"
        alert.origin = "customs"
        alert.tlp = .amberStrict
        alert.recipients = ["border"]
        alert.headline = "Rifles in the truck"
        event.alert = alert
        event.rule = "plate"
        event.matchedKey = "plate:SECRET123"
        event.prevSeq = 2

        let migrationView = try #require(Release.view(of: event, for: Self.migration, visibleBefore: true))
        #expect(!migrationView.hasAlert)
        #expect(migrationView.rule.isEmpty)
        #expect(migrationView.matchedKey.isEmpty)
        #expect(migrationView.incident.contributions.count == 1)
        let text = String(decoding: try migrationView.serializedBytes() as [UInt8], as: UTF8.self)
        #expect(!text.contains("SECRET") && !text.contains("Rifles"))

        let borderView = try #require(Release.view(of: event, for: Self.border, visibleBefore: true))
        #expect(borderView == event)

        // Nothing visible now nor before: nothing at all.
        var hidden = event
        hidden.incident.contributions.removeFirst()
        hidden.incident.summarizeContributions()
        #expect(Release.view(of: hidden, for: Self.migration, visibleBefore: false) == nil)

        // Visible before, nothing now (a released report replaced by a stricter one): a bare withdrawal.
        let withdrawal = try #require(Release.view(of: hidden, for: Self.migration, visibleBefore: true))
        #expect(withdrawal.kind == .closed)
        #expect(withdrawal.closeReason == .withdrawn)
        #expect(withdrawal.incident.id == event.incident.id)
        #expect(withdrawal.incident.contributions.isEmpty)
        #expect(!withdrawal.hasAlert)
        #expect(withdrawal.incident.headline.isEmpty)
    }

    @Test func cancelledReleasedReportsStayInTheView() throws {
        var incident = Self.incident()
        incident.contributions[0].cancelled = true
        incident.summarizeContributions()
        let view = try #require(Release.view(of: incident, for: Self.migration))
        #expect(view.contributions.count == 1)
        #expect(view.highestSeverity == .unspecified)
        #expect(view.corroboration == 0)
    }
}
