// Fuzz target: one sync frame through the hub's request path (SyncServer.handle):
// frame shape, SyncRequest decode and SyncRequestValidator, then the values the
// server derives from a valid request (credit, time bounds, filter).
import FuzzSupport
import IBMProtocol
import SwiftProtobuf

private let validator = SyncRequestValidator()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSync(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let payload = fuzzInput(data, size)
    guard let routed = RoutedRequest(frames: [[0x00, 0x6B, 0x8B, 0x45, 0x68], [], payload]) else {
        invariant(false, "a REQ-shaped message with a routing id was refused")
        return 0
    }
    let request: Ibm_V1_SyncRequest
    do {
        request = try RequestDecoding.syncRequest(routed.payload)
    } catch {
        _ = "not a valid SyncRequest: \(error)"
        return 0
    }
    let checked: CheckedSyncRequest
    do {
        checked = try validator.check(request)
    } catch {
        invariant(error.code != .unspecified && !error.reason.isEmpty, "a refusal without a code or reason")
        return 0
    }
    switch checked {
    case let .snapshot(filter, credit):
        checkCredit(credit)
        checkFilter(filter)
    case let .replay(replay):
        checkCredit(replay.credit)
        checkFilter(replay.filter)
        for milliseconds in [replay.sinceMilliseconds, replay.untilMilliseconds].compactMap({ $0 }) {
            // The journal filter and the replies carry these as Unix milliseconds.
            let stamp = Google_Protobuf_Timestamp(unixMilliseconds: milliseconds)
            invariant(stamp.unixMilliseconds == milliseconds, "time bound \(milliseconds) ms does not round-trip")
            _ = RFC3339.format(stamp)
        }
    case let .credit(chunks):
        invariant((0...validator.maxCredit).contains(chunks), "credit of \(chunks) chunks granted")
    case .cancel:
        break
    }
    return 0
}

private func checkCredit(_ credit: Int) {
    invariant((1...validator.maxCredit).contains(credit), "stream started with credit \(credit)")
}

private func checkFilter(_ filter: Ibm_V1_Filter) {
    // The server turns categories into journal names; none may be dropped.
    invariant(filter.categories.compactMap(\.jsonName).count == filter.categories.count, "an unknown category passed")
}

@_cdecl("FuzzSync_main")
public func fuzzSyncMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSync)
}
