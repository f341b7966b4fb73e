import IBMProtocol
import SwiftProtobuf
import Testing

/// The frame shapes a hub ROUTER accepts, and the decoders it runs on the payload.
@Suite struct RequestDecodingTests {
    @Test func routedRequestShapes() {
        let payload: [UInt8] = [0x12, 0x00]
        let dealer = RoutedRequest(frames: [[1, 2], payload])
        #expect(dealer?.envelope == [[1, 2]])
        #expect(dealer?.payload == payload)
        let req = RoutedRequest(frames: [[1, 2], [], payload])
        #expect(req?.envelope == [[1, 2], []])
        #expect(req?.payload == payload)
        #expect(RoutedRequest(frames: [payload]) == nil)
        #expect(RoutedRequest(frames: [[], payload]) == nil, "an empty routing id")
        #expect(RoutedRequest(frames: [[1], [9], payload]) == nil, "a non-empty delimiter")
        #expect(RoutedRequest(frames: [[1], [], payload, payload]) == nil, "a truncated or padded multipart")
    }

    @Test func garbageIsNotAnIngestRequest() {
        #expect(throws: (any Error).self) { try RequestDecoding.ingestRequest([0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: (any Error).self) { try RequestDecoding.ingestRequest([0x12, 0x05, 0x0A]) }  // truncated
    }
}

/// Sync requests the hub must refuse before it touches the journal.
@Suite struct SyncRequestValidationTests {
    let validator = SyncRequestValidator()

    private func check(_ bytes: [UInt8]) throws -> CheckedSyncRequest {
        try validator.check(RequestDecoding.syncRequest(bytes))
    }

    private func refusal(_ bytes: [UInt8]) throws -> SyncRequestError? {
        do {
            _ = try check(bytes)
            return nil
        } catch let error as SyncRequestError {
            return error
        }
    }

    /// Regression: `replay { since { seconds: Int64.max } }`. Converting it to Unix
    /// milliseconds overflowed and trapped the hub's sync thread, killing the hub.
    @Test func sinceFarBeyondAnyDateIsInvalid() throws {
        let bytes: [UInt8] = [0x08, 0x09, 0x1A, 0x0C, 0x12, 0x0A, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let error = try #require(try refusal(bytes))
        #expect(error.code == .invalid)
        #expect(error.reason.hasPrefix("replay.since: seconds 9223372036854775807"))
    }

    /// The same with `until { seconds: Int64.min }`.
    @Test func untilBeforeYearOneIsInvalid() throws {
        let bytes: [UInt8] = [0x1A, 0x0D, 0x22, 0x0B, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        let error = try #require(try refusal(bytes))
        #expect(error.code == .invalid)
        #expect(error.reason.hasPrefix("replay.until:"))
    }

    @Test func yearNineThousandNineHundredNinetyNineIsAValidBound() throws {
        var replay = Ibm_V1_ReplayRequest()
        replay.since = Google_Protobuf_Timestamp(seconds: 253_402_300_799)
        var request = Ibm_V1_SyncRequest()
        request.replay = replay
        guard case let .replay(checked) = try validator.check(request) else {
            Issue.record("not a replay")
            return
        }
        #expect(checked.sinceMilliseconds == 253_402_300_799_000)
        #expect(checked.untilMilliseconds == nil)
        #expect(checked.credit == validator.defaultCredit)
    }

    @Test func unknownCategoryIsInvalidNotDropped() throws {
        // snapshot { filter { categories: 99 } }: dropping it would widen the filter to every category.
        let error = try #require(try refusal([0x12, 0x04, 0x0A, 0x02, 0x08, 0x63]))
        #expect(error.code == .invalid)
        #expect(error.reason.hasPrefix("snapshot.filter.categories[0] is not a known category"))
    }

    @Test func oversizedFiltersAreInvalid() throws {
        var filter = Ibm_V1_Filter()
        filter.origins = Array(repeating: "customs", count: validator.maxFilterEntries + 1)
        var snapshot = Ibm_V1_SnapshotRequest()
        snapshot.filter = filter
        var request = Ibm_V1_SyncRequest()
        request.snapshot = snapshot
        #expect(throws: SyncRequestError(.invalid, "snapshot.filter.origins has 65 entries, more than the limit of 64")) {
            try validator.check(request)
        }
        filter.origins = ["customs"]
        filter.sectors = [String(repeating: "s", count: 257)]
        snapshot.filter = filter
        request.snapshot = snapshot
        #expect(throws: SyncRequestError(.invalid, "snapshot.filter.sectors[0] is 257 bytes, longer than the limit of 256")) {
            try validator.check(request)
        }
    }

    @Test func creditIsDefaultedAndCapped() throws {
        var request = Ibm_V1_SyncRequest()
        var snapshot = Ibm_V1_SnapshotRequest()
        snapshot.credit = 5000
        request.snapshot = snapshot
        #expect(try validator.check(request) == .snapshot(filter: Ibm_V1_Filter(), credit: validator.maxCredit))
        var credit = Ibm_V1_Credit()
        credit.chunks = .max
        request.credit = credit
        #expect(try validator.check(request) == .credit(chunks: validator.maxCredit))
    }

    @Test func noBodyIsMalformed() throws {
        let error = try #require(try refusal([0x08, 0x07]))
        #expect(error == SyncRequestError(.malformed, "SyncRequest has no body"))
    }
}

@Suite struct TimestampMillisecondsTests {
    @Test func saturatesInsteadOfTrapping() {
        #expect(Google_Protobuf_Timestamp(seconds: .max, nanos: 999_999_999).unixMilliseconds == .max)
        #expect(Google_Protobuf_Timestamp(seconds: .min, nanos: 0).unixMilliseconds == .min)
        #expect(Google_Protobuf_Timestamp(seconds: Int64.max / 1000, nanos: 999_999_999).unixMilliseconds == .max)
        #expect(Google_Protobuf_Timestamp(seconds: 1_763_712_000, nanos: 250_000_000).unixMilliseconds == 1_763_712_000_250)
        #expect(Google_Protobuf_Timestamp(seconds: -1, nanos: 0).unixMilliseconds == -1000)
    }
}
