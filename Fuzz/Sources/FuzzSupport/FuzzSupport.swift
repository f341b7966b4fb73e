import CLibFuzzer
import IBMProtocol
import SwiftProtobuf

/// The bytes libFuzzer hands a target, as the hub would receive them in a frame.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the run when a property of the code under test does not hold; libFuzzer
/// then keeps the input as a `crash-*` file, like any other crash.
public func invariant(_ holds: Bool, _ message: @autoclosure () -> String) {
    if !holds { fatalError("invariant broken: \(message())") }
}

/// Properties every valid alert has, whichever decoder produced it: it encodes to
/// protobuf and back unchanged (the journal stores that encoding), and to the JSON
/// form and back unchanged and still valid (ibmctl replay, the agencies' API).
public func checkValidAlertRoundTrips(_ alert: Ibm_V1_Alert) {
    let body: [UInt8]
    do {
        body = try alert.serializedBytes()
    } catch {
        invariant(false, "a valid alert cannot be encoded: \(error)")
        return
    }
    let decoded = try? Ibm_V1_Alert(serializedBytes: body)
    invariant(decoded == alert, "protobuf round trip changed the alert")

    let codec = AlertJSON()
    let json = codec.encode(alert)
    do {
        let back = try codec.decode(json)
        invariant(back == alert, "JSON round trip changed the alert: \(String(decoding: json, as: UTF8.self))")
    } catch {
        invariant(false, "the JSON form of a valid alert is refused: \(error); \(String(decoding: json, as: UTF8.self))")
    }
}

/// Runs libFuzzer on `target`; each target's `<Module>_main` calls it.
///
/// SwiftPM links an executable target with `main` renamed to `<Module>_main`, so
/// libFuzzer's own `main` is never used: the target defines that symbol instead.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, target)
}
