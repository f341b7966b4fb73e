import Correlation
import IBMProtocol
import Testing

@Suite struct CorrelatorTests {
    @Test func firstAlertOpensAnIncidentNamedAfterItsSeq() {
        var correlator = Correlator(rules: .default)
        let result = correlator.apply(makeAlert("bor-1", subjects: [Subject.vehicle("123 TUN 4567")]), seq: 42)
        #expect(result.outcome == .opened)
        #expect(result.incidentID == "inc-0000000042")
        #expect(result.rule == "opened")
        #expect(result.changes.count == 1)
        let change = result.changes[0]
        #expect(change.kind == .opened)
        #expect(change.incident.openedSeq == 43)
        #expect(change.incident.updatedSeq == 43)
        #expect(change.incident.status == .open)
        #expect(change.incident.contributions.first?.rule == "opened")
        #expect(change.incident.contributions.first?.seq == 42)
        #expect(correlator.openIncidentCount == 1)
        #expect(correlator.incidentID(origin: "border", alertID: "bor-1") == "inc-0000000042")
        #expect(correlator.incidentID(origin: "customs", alertID: "bor-1") == nil)
    }

    @Test func reportsOfOneEventFromThreeAgenciesMergeIntoOneIncident() {
        var feeder = Feeder()
        let first = feeder.apply(makeAlert("bor-1", origin: "border", minutes: 0, severity: .moderate,
                                           subjects: [Subject.vehicle("123 TUN 4567", country: "TN")]))
        let second = feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 20, severity: .extreme,
                                            subjects: [Subject.vehicle("١٢٣ تونس ٤٥٦٧"),
                                                       Subject.person("Mohamed Ben Ali", document: "E883132", nationality: "TN")]))
        let third = feeder.apply(makeAlert("mig-1", origin: "migration", minutes: 90, severity: .minor,
                                           subjects: [Subject.person("Muhammad Benali", document: "e 883 132")]))
        #expect(second.outcome == .joined)
        #expect(second.rule == "plate")
        #expect(second.matchedKey == "plate:123TN4567")
        #expect(third.outcome == .joined)
        #expect(third.rule == "document")
        #expect(third.matchedKey == "document:TN/E883132")
        #expect(Set([first.incidentID, second.incidentID, third.incidentID]).count == 1)

        let incident = third.changes[0].incident
        #expect(incident.corroboration == 3)
        #expect(incident.highestSeverity == .extreme)
        #expect(incident.firstSeen.unixMilliseconds == baseMs)
        #expect(incident.lastSeen.unixMilliseconds == baseMs + 90 * minute)
        #expect(incident.contributions.map(\.alertID) == ["bor-1", "cus-1", "mig-1"])
        #expect(incident.contributions.map(\.rule) == ["opened", "plate", "document"])
        #expect(incident.headline == "Test alert bor-1")
    }

    @Test func documentsWithDifferentNationalitiesDoNotJoin() {
        let a = makeAlert("a", subjects: [Subject.person("Ali Hassan", document: "119935593536", nationality: "LY")])
        let b = makeAlert("b", origin: "migration", minutes: 10, lat: 30,
                          subjects: [Subject.person("Ali Hassan", document: "119935593536", nationality: "SD")])
        #expect(!Feeder.joins(a, b))
    }

    @Test func aDocumentWithoutNationalityNeedsAgreeingNames() {
        let a = makeAlert("a", subjects: [Subject.person("Fatimah Ali", document: "A46335356", nationality: "EG")])
        let same = makeAlert("b", origin: "migration", minutes: 10, lat: 30, subjects: [Subject.person("Fatima Ali", document: "A 4633 5356")])
        let other = makeAlert("c", origin: "migration", minutes: 10, lat: 30, subjects: [Subject.person("Omar Dridi", document: "A 4633 5356")])
        #expect(Feeder.joins(a, same))
        #expect(!Feeder.joins(a, other))
    }

    @Test func namesAloneNeverJoin() {
        let a = makeAlert("a", category: .identityFraud, subjects: [Subject.person("Mohamed Ali", nationality: "EG")])
        let b = makeAlert("b", origin: "migration", minutes: 10, category: .identityFraud, lat: 30,
                          subjects: [Subject.person("Mohammed Ali", nationality: "EG")])
        #expect(!Feeder.joins(a, b))
    }

    @Test func platesOfDifferentCountriesDoNotJoin() {
        let a = makeAlert("a", subjects: [Subject.vehicle("5-123456", country: "LY")])
        let b = makeAlert("b", origin: "customs", minutes: 10, lat: 30, subjects: [Subject.vehicle("5 123456", country: "EG")])
        let c = makeAlert("c", origin: "customs", minutes: 10, lat: 30, subjects: [Subject.vehicle("ليبيا 5-123456")])
        #expect(!Feeder.joins(a, b))
        #expect(Feeder.joins(a, c))
    }

    @Test func clockSkewIsTolerated() {
        // 45 min window + 10 min tolerance.
        let a = makeAlert("a", category: .irregularMigration)
        let skewed = makeAlert("b", origin: "migration", minutes: 54, category: .irregularMigration)
        let late = makeAlert("c", origin: "migration", minutes: 56, category: .irregularMigration)
        let early = makeAlert("d", origin: "migration", minutes: -54, category: .irregularMigration)
        #expect(Feeder.joins(a, skewed))
        #expect(!Feeder.joins(a, late))
        #expect(Feeder.joins(a, early))
    }

    @Test func anAlertLinkingTwoIncidentsMergesThemIntoTheOlder() {
        var feeder = Feeder()
        let plate = feeder.apply(makeAlert("bor-1", origin: "border", subjects: [Subject.vehicle("5-123456", country: "LY")]))
        let person = feeder.apply(makeAlert("mig-1", origin: "migration", minutes: 5, lat: 30,
                                            subjects: [Subject.person("Lotfi Mejri", document: "E883132", nationality: "TN")]))
        #expect(plate.incidentID != person.incidentID)
        let bridge = feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 10, lat: 31,
                                            subjects: [Subject.person("Lotfi Mejri", document: "E883132", nationality: "TN"),
                                                       Subject.vehicle("5 123456", country: "LY")]))
        #expect(bridge.outcome == .joined)
        #expect(bridge.incidentID == plate.incidentID)
        #expect(bridge.changes.map(\.kind) == [.updated, .closed])
        #expect(bridge.changes[1].closeReason == .merged)
        #expect(bridge.changes[1].mergedInto == plate.incidentID)
        #expect(bridge.changes[1].incident.id == person.incidentID)
        #expect(bridge.changes[1].incident.status == .closed)
        #expect(bridge.changes[1].rule == "document")
        #expect(bridge.changes.map(\.incident.updatedSeq) == [feeder.seq - 1, feeder.seq])
        #expect(bridge.changes[0].incident.contributions.map(\.alertID) == ["bor-1", "mig-1", "cus-1"])
        #expect(bridge.changes[0].incident.corroboration == 3)
        #expect(feeder.correlator.openIncidentCount == 1)
        #expect(feeder.correlator.incidentID(origin: "migration", alertID: "mig-1") == plate.incidentID)
    }

    @Test func anUpdateReplacesItsOwnContribution() {
        var feeder = Feeder()
        let opened = feeder.apply(makeAlert("bor-1", severity: .minor, subjects: [Subject.vehicle("5-123456")]))
        feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 5, severity: .minor, subjects: [Subject.vehicle("5 123456")]))
        let update = feeder.apply(makeAlert("bor-2", type: .update, references: ["bor-1"], minutes: 30, severity: .extreme,
                                            subjects: [Subject.vehicle("5-123456")]))
        #expect(update.outcome == .amended)
        #expect(update.incidentID == opened.incidentID)
        #expect(update.rule == "update")
        #expect(update.matchedKey == "supersedes:bor-1")
        #expect(update.changes.count == 1)
        let incident = update.changes[0].incident
        #expect(incident.contributions.map(\.alertID) == ["bor-2", "cus-1"])
        #expect(incident.contributions[0].supersededIds == ["bor-1"])
        #expect(incident.contributions[0].rule == "opened")
        #expect(incident.highestSeverity == .extreme)
        #expect(feeder.correlator.incidentID(origin: "border", alertID: "bor-1") == opened.incidentID)
        // A second update of the original id replaces the first update.
        let again = feeder.apply(makeAlert("bor-3", type: .update, references: ["bor-1"], minutes: 40, severity: .minor,
                                           subjects: [Subject.vehicle("5-123456")]))
        #expect(again.changes.first?.incident.contributions.map(\.alertID) == ["bor-3", "cus-1"])
        #expect(again.changes.first?.incident.contributions.first?.supersededIds == ["bor-1", "bor-2"])
        #expect(again.changes.first?.incident.highestSeverity == .minor)
    }

    @Test func anUpdateWithANewIdentifierJoinsFurtherIncidents() {
        var feeder = Feeder()
        let first = feeder.apply(makeAlert("bor-1", subjects: [Subject.vehicle("5-123456")]))
        let second = feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 5, lat: 30, subjects: [Subject.weapon(serial: "NBH462")]))
        #expect(first.incidentID != second.incidentID)
        let update = feeder.apply(makeAlert("cus-2", origin: "customs", type: .update, references: ["cus-1"], minutes: 20, lat: 30,
                                            subjects: [Subject.weapon(serial: "nbh 462"), Subject.vehicle("5 123456")]))
        #expect(update.outcome == .amended)
        #expect(update.incidentID == first.incidentID)
        #expect(update.changes.map(\.kind) == [.updated, .closed])
        #expect(update.changes[1].closeReason == .merged)
        #expect(update.changes[1].incident.id == second.incidentID)
        #expect(update.changes[0].incident.contributions.map(\.alertID) == ["bor-1", "cus-2"])
        #expect(feeder.correlator.openIncidentCount == 1)
    }

    @Test func anUpdateOfAnAlertNoLongerHeldIsCorrelatedLikeANewOne() {
        var feeder = Feeder()
        let update = feeder.apply(makeAlert("bor-9", type: .update, references: ["bor-1"], subjects: [Subject.vehicle("5-123456")]))
        #expect(update.outcome == .opened)
        #expect(update.changes.first?.incident.contributions.first?.supersededIds == ["bor-1"])
        #expect(feeder.correlator.incidentID(origin: "border", alertID: "bor-1") == update.incidentID)
    }

    @Test func aCancelMarksItsContributionAndTheLastOneClosesTheIncident() {
        var feeder = Feeder()
        let opened = feeder.apply(makeAlert("bor-1", severity: .extreme, subjects: [Subject.vehicle("5-123456")]))
        feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 5, severity: .minor, subjects: [Subject.vehicle("5 123456")]))
        let cancel = feeder.apply(makeAlert("bor-2", type: .cancel, references: ["bor-1"], minutes: 10))
        #expect(cancel.outcome == .amended)
        #expect(cancel.incidentID == opened.incidentID)
        #expect(cancel.rule == "cancel")
        #expect(cancel.changes.map(\.kind) == [.updated])
        let incident = cancel.changes[0].incident
        #expect(incident.contributions.map(\.cancelled) == [true, false])
        #expect(incident.corroboration == 1)
        #expect(incident.highestSeverity == .minor)
        // The other, live report still carries the plate.
        let later = feeder.apply(makeAlert("mig-1", origin: "migration", minutes: 20, lat: 30, subjects: [Subject.vehicle("5-123456")]))
        #expect(later.incidentID == opened.incidentID)
        #expect(later.rule == "plate")

        let last = feeder.apply(makeAlert("cus-2", origin: "customs", type: .cancel, references: ["cus-1"], minutes: 30))
        #expect(last.changes.map(\.kind) == [.updated])
        let final = feeder.apply(makeAlert("mig-2", origin: "migration", type: .cancel, references: ["mig-1"], minutes: 31))
        #expect(final.changes.map(\.kind) == [.closed])
        #expect(final.changes[0].closeReason == .cancelled)
        #expect(final.changes[0].incident.status == .closed)
        #expect(feeder.correlator.openIncidentCount == 0)
        #expect(feeder.correlator.incidentID(origin: "border", alertID: "bor-1") == nil)
    }

    @Test func aCancelledReportAttractsNothing() {
        var feeder = Feeder()
        let opened = feeder.apply(makeAlert("bor-1", subjects: [Subject.vehicle("5-123456")]))
        #expect(feeder.apply(makeAlert("mig-1", origin: "migration", minutes: 5, subjects: [Subject.group(12)])).incidentID == opened.incidentID)
        feeder.apply(makeAlert("bor-2", type: .cancel, references: ["bor-1"], minutes: 10))
        let later = feeder.apply(makeAlert("cus-1", origin: "customs", minutes: 20, lat: 30, subjects: [Subject.vehicle("5 123456")]))
        #expect(later.outcome == .opened)
        #expect(feeder.correlator.incidentID(origin: "border", alertID: "bor-2") == opened.incidentID)
    }

    @Test func aCancelOfAnAlertNoLongerHeldChangesNothing() {
        var feeder = Feeder()
        let cancel = feeder.apply(makeAlert("bor-2", type: .cancel, references: ["bor-1"]))
        #expect(cancel.outcome == .amended)
        #expect(cancel.incidentID == "")
        #expect(cancel.changes.isEmpty)
    }

    @Test func aResentAlertIsAnsweredIdempotently() {
        var feeder = Feeder()
        let alert = makeAlert("bor-1", subjects: [Subject.vehicle("5-123456")])
        let first = feeder.apply(alert)
        let again = feeder.apply(alert)
        #expect(again.outcome == .amended)
        #expect(again.incidentID == first.incidentID)
        #expect(again.changes.isEmpty)
    }

    @Test func idleIncidentsCloseInDeadlineOrder() {
        var feeder = Feeder()
        let a = feeder.apply(makeAlert("a", minutes: 0, lat: 20))
        let b = feeder.apply(makeAlert("b", minutes: 60, lat: 25))
        let c = feeder.apply(makeAlert("c", minutes: 30, lat: 30))
        let e = feeder.apply(makeAlert("e", minutes: 10, lat: 35))
        // Joining moves last seen, and with it the deadline: a now ends at minute 50.
        #expect(feeder.apply(makeAlert("d", origin: "customs", minutes: 50, lat: 20)).incidentID == a.incidentID)
        let idle = CorrelationRules.default.defaults.idleMilliseconds
        let closed = feeder.expire(asOf: baseMs + idle + 40 * minute)
        #expect(closed.map(\.incident.id) == [e.incidentID, c.incidentID])
        #expect(closed.map(\.closeReason) == [.idle, .idle])
        #expect(closed.map(\.incident.updatedSeq) == [feeder.seq - 1, feeder.seq])
        #expect(feeder.correlator.openIncidents.map(\.id) == [a.incidentID, b.incidentID])
    }

    @Test func maxOpenIncidentsClosesTheIncidentNearestItsIdleClose() {
        var rules = CorrelationRules.default
        rules.maxOpenIncidents = 2
        var feeder = Feeder(rules: rules)
        let a = feeder.apply(makeAlert("a", minutes: 10, lat: 20))
        let b = feeder.apply(makeAlert("b", minutes: 0, lat: 25))
        let c = feeder.apply(makeAlert("c", minutes: 20, lat: 30))
        #expect(c.outcome == .opened)
        #expect(c.changes.map(\.kind) == [.opened, .closed])
        #expect(c.changes[1].incident.id == b.incidentID)
        #expect(c.changes[1].closeReason == .idle)
        #expect(feeder.correlator.openIncidents.map(\.id) == [a.incidentID, c.incidentID])
        #expect(feeder.correlator.incidentID(origin: "border", alertID: "b") == nil)
    }

    @Test func aFullIncidentAbsorbsNothingMoreAndANewOneOpens() {
        var rules = CorrelationRules.default
        rules.maxContributions = 3
        var feeder = Feeder(rules: rules)
        let plate = [Subject.vehicle("5-123456")]
        let first = feeder.apply(makeAlert("a", subjects: plate))
        #expect(feeder.apply(makeAlert("b", origin: "customs", minutes: 1, subjects: plate)).incidentID == first.incidentID)
        #expect(feeder.apply(makeAlert("c", origin: "migration", minutes: 2, subjects: plate)).incidentID == first.incidentID)
        // The fourth report of the same plate finds only a full incident: it opens a new one.
        let fourth = feeder.apply(makeAlert("d", minutes: 3, subjects: plate))
        #expect(fourth.outcome == .opened)
        #expect(fourth.incidentID != first.incidentID)
        #expect(feeder.apply(makeAlert("e", origin: "customs", minutes: 4, subjects: plate)).incidentID == fourth.incidentID)
        let sizes = feeder.correlator.openIncidents.map(\.contributions.count)
        #expect(sizes == [3, 2])
    }

    @Test func closedIncidentsLeaveNothingBehind() {
        var feeder = Feeder()
        feeder.apply(makeAlert("a", subjects: [Subject.vehicle("5-123456")]))
        feeder.expire(asOf: baseMs + 30 * 24 * hour)
        #expect(feeder.correlator.openIncidentCount == 0)
        // The plate no longer finds the closed incident.
        let again = feeder.apply(makeAlert("b", origin: "customs", minutes: 30 * 24 * 60, subjects: [Subject.vehicle("5-123456")]))
        #expect(again.outcome == .opened)
        // An empty engine and this one hold the same state once both are empty.
        feeder.expire(asOf: baseMs + 90 * 24 * hour)
        #expect(feeder.correlator.serializedState() == Correlator(rules: .default).serializedState())
    }

    @Test func theSamePlateDaysApartIsTwoIncidents() {
        var feeder = Feeder()
        let first = feeder.apply(makeAlert("a", subjects: [Subject.vehicle("123 TUN 4567")]))
        let second = feeder.apply(makeAlert("b", origin: "customs", minutes: 6 * 24 * 60, subjects: [Subject.vehicle("123TUN4567")]))
        #expect(first.incidentID != second.incidentID)
    }

    @Test func twoGroupsAtOneCrossingHoursApartAreTwoIncidents() {
        let a = makeAlert("a", category: .irregularMigration, subjects: [Subject.group(30)])
        let b = makeAlert("b", origin: "migration", minutes: 130, category: .irregularMigration, lat: 33.151, subjects: [Subject.group(25)])
        #expect(!Feeder.joins(a, b))
    }
}
