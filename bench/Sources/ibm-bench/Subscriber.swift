import Foundation
import IBMProtocol
import ZeroMQ

/// `subscribe --mode hub|zmq --endpoint E --expect N [--keys DIR --identity NAME]
///  [--idle-seconds 30] [--samples FILE]`
///
/// Counts the distinct alerts received and records publish → receipt for each. `hub`:
/// the hub's feed, `[topic][PictureEvent]`, heartbeats skipped, the alert is field 4;
/// `zmq`: a proxy's or the echo's XPUB, one frame, the `IngestRequest` as published.
func subscribe(_ options: Options) throws {
    let mode = try options.string("mode")
    guard ["hub", "zmq"].contains(mode) else { throw BenchError("--mode \(mode): expected hub or zmq") }
    let expect = try options.int("expect", default: 0)
    let idle = UInt64(try options.int("idle-seconds", default: 30)) * 1_000_000_000
    var samples = SampleWriter(path: options.optional("samples"), capacity: expect)
    let alertField: UInt64 = mode == "hub" ? 4 : 1

    let context = try ZMQContext()
    let socket = try context.makeSocket(.sub)
    try socket.set(.linger, 0)
    try socket.set(.receiveHighWaterMark, mode == "hub" ? 100_000 : 10_000)
    if let keys = options.optional("keys") {
        try applyCurveClient(socket, keys: keys, identity: try options.string("identity"),
                             server: options.string("server-key", default: "hub"))
    }
    try socket.subscribe("")
    try socket.connect(try options.string("endpoint"))
    if let ready = options.optional("ready-file") {
        usleep(300_000)
        FileManager.default.createFile(atPath: ready, contents: Data())
    }

    var seen = [Bool](repeating: false, count: max(expect * 2, 1024))
    var distinct = 0, duplicates = 0, events = 0, heartbeats = 0, missingStamp = 0
    var first: UInt64 = 0, last: UInt64 = 0
    var lastMessage = monotonicNanoseconds()
    var poller = Poller()
    _ = try poller.add(socket)
    var frame = Message()
    var isTopic = true
    var skipBody = false

    while expect == 0 || distinct < expect {
        let ready = try poller.poll(timeoutMilliseconds: 100)
        let now = monotonicNanoseconds()
        if !ready.isReadable(0) {
            if now - lastMessage > idle { break }
            continue
        }
        while try socket.receive(into: &frame, dontWait: true) {
            let now = monotonicNanoseconds()
            if mode == "hub", isTopic {
                // Topic frame: `<channel>/hb` is a heartbeat, anything else an event.
                skipBody = frame.withUnsafeBytes { $0.count >= 3 && $0[$0.count - 3] == 0x2F && $0[$0.count - 2] == 0x68 && $0[$0.count - 1] == 0x62 }
                isTopic = !frame.more
                continue
            }
            isTopic = true
            if skipBody { heartbeats += 1; skipBody = false; continue }
            events += 1
            lastMessage = now  // heartbeats alone do not keep a finished run waiting
            frame.withUnsafeBytes { body in
                guard let alert = ProtobufWire.lengthDelimitedField(alertField, in: body), let id = ProtobufWire.lengthDelimitedField(1, in: alert),
                      let number = trailingNumber(id) else { return }
                if number >= seen.count { seen += [Bool](repeating: false, count: number + 1 - seen.count + 1024) }
                if seen[number] { duplicates += 1; return }
                seen[number] = true
                distinct += 1
                if first == 0 { first = now }
                last = now
                if let description = ProtobufWire.lengthDelimitedField(13, in: alert), let stamp = readTimestamp(description), stamp <= now {
                    samples.record(now - stamp)
                } else {
                    missingStamp += 1
                }
            }
        }
    }
    try samples.write()
    printResult(["role": "sub", "mode": mode, "received": distinct, "events": events, "duplicates": duplicates,
                 "heartbeats": heartbeats, "unstamped": missingStamp, "first_ns": first, "last_ns": last])
    socket.close()
    context.shutdown()
}
