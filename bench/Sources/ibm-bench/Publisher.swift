import Foundation
import IBMProtocol
import ZeroMQ

/// `publish --mode hub|echo|pub --frames F --endpoint E [--keys DIR --identity NAME]
///  [--window 1000] [--rate PER_S] [--count N] [--ack-samples FILE] [--settle-ms MS]`
///
/// One agency's publisher. `hub`: DEALER to the hub's ingest ROUTER, a publish counts
/// when its ack arrives; `echo`: DEALER to the acked ROUTER echo, frames
/// `[index][request]`; `pub`: PUB to a proxy's XSUB, no acks (XPUB_NODROP-style
/// back-pressure through bounded HWMs). At most `window` publishes wait for an ack.
func publish(_ options: Options) throws {
    let mode = try options.string("mode")
    guard ["hub", "echo", "pub"].contains(mode) else { throw BenchError("--mode \(mode): expected hub, echo or pub") }
    let file = try FramesFile(path: try options.string("frames"), limit: try options.int("count", default: Int.max))
    let total = file.frames.count
    let window = try options.int("window", default: 1000)
    let rate = UInt64(try options.int("rate", default: 0))
    var samples = SampleWriter(path: options.optional("ack-samples"), capacity: total)

    // The hub answers with the alert id: map its number to the frame index.
    var indexOfNumber: [Int: Int] = [:]
    if mode == "hub" {
        indexOfNumber.reserveCapacity(total)
        for (index, frame) in file.frames.enumerated() {
            let number = frame.withUnsafeBytes { bytes -> Int? in
                guard let alert = ProtobufWire.lengthDelimitedField(1, in: bytes), let id = ProtobufWire.lengthDelimitedField(1, in: alert) else { return nil }
                return trailingNumber(id)
            }
            guard let number else { throw BenchError("frame \(index) has no numbered alert id") }
            indexOfNumber[number] = index
        }
    }

    let context = try ZMQContext()
    let socket = try context.makeSocket(mode == "pub" ? .pub : .dealer)
    try socket.set(.linger, mode == "pub" ? 30_000 : 0)
    try socket.set(.sendHighWaterMark, 10_000)
    try socket.set(.receiveHighWaterMark, 10_000)
    if mode == "pub" { try socket.set(.xpubNoDrop, true) }
    if let keys = options.optional("keys") {
        try applyCurveClient(socket, keys: keys, identity: try options.string("identity"),
                             server: options.string("server-key", default: "hub"))
    }
    try socket.connect(try options.string("endpoint"))
    // Let the handshake (and, for PUB, the subscription) arrive before the clock starts.
    usleep(UInt32(try options.int("settle-ms", default: mode == "pub" ? 1000 : 300)) * 1000)

    var frames = file.frames
    var sentAt = [UInt64](repeating: 0, count: total)
    var next = 0, inFlight = 0, acked = 0, nacks = 0
    var poller = Poller()
    _ = try poller.add(socket, events: mode == "pub" ? .pollOut : .pollIn)
    let start = monotonicNanoseconds()
    var lastProgress = start
    var reply = Message()

    func answered(_ index: Int, now: UInt64) {
        guard index >= 0, index < total, sentAt[index] != 0 else { return }
        samples.record(now - sentAt[index])
        sentAt[index] = 0
        inFlight -= 1
        lastProgress = now
    }

    while mode == "pub" ? next < total : acked + nacks < total {
        // Send what the window (and, in a latency run, the schedule) allows.
        var blocked = false
        while next < total, mode == "pub" || inFlight < window {
            let now = monotonicNanoseconds()
            if rate > 0, now < start + UInt64(next) * 1_000_000_000 / rate { break }
            patchTimestamp(&frames[next], at: file.timestampOffsets[next], now)
            let sent: Bool
            if mode == "echo" {
                sent = try socket.sendMultipart([withUnsafeBytes(of: UInt64(next).littleEndian) { Array($0) }, frames[next]], dontWait: true)
            } else {
                sent = try socket.send(frames[next], dontWait: true)
            }
            guard sent else { blocked = true; break }
            if mode != "pub" { sentAt[next] = now; inFlight += 1 }
            lastProgress = now
            next += 1
        }
        if mode == "pub" {
            if blocked { _ = try poller.poll(timeoutMilliseconds: 100) } else if next < total { usleep(100) }
            continue
        }
        let wait = rate > 0 && next < total && inFlight < window ? 1 : 100
        let ready = try poller.poll(timeoutMilliseconds: wait)
        if ready.isReadable(0) {
            while try socket.receive(into: &reply, dontWait: true) {
                let now = monotonicNanoseconds()
                if reply.more { continue }  // only the last frame is the body
                reply.withUnsafeBytes { body in
                    if mode == "echo" {
                        guard body.count == 8 else { return }
                        answered(Int(UInt64(littleEndian: body.loadUnaligned(as: UInt64.self))), now: now)
                        acked += 1
                    } else if let ack = ProtobufWire.lengthDelimitedField(1, in: body) {
                        guard let id = ProtobufWire.lengthDelimitedField(1, in: ack), let number = trailingNumber(id),
                              let index = indexOfNumber[number] else { return }
                        answered(index, now: now)
                        acked += 1
                    } else if let nack = ProtobufWire.lengthDelimitedField(2, in: body) {
                        nacks += 1
                        if nacks <= 5 {
                            let reason = ProtobufWire.lengthDelimitedField(3, in: nack).map { String(decoding: $0, as: UTF8.self) } ?? "?"
                            FileHandle.standardError.write(Data("nack: \(reason)\n".utf8))
                        }
                        if let id = ProtobufWire.lengthDelimitedField(1, in: nack), let number = trailingNumber(id),
                           let index = indexOfNumber[number] { answered(index, now: now) }
                    }
                }
            }
        }
        if monotonicNanoseconds() - lastProgress > 60_000_000_000 {
            FileHandle.standardError.write(Data("publisher stalled: \(acked) acked, \(nacks) nacked of \(total)\n".utf8))
            break
        }
    }
    let end = monotonicNanoseconds()
    try samples.write()
    printResult(["role": "pub", "mode": mode, "sent": next, "acked": acked, "nacks": nacks,
                 "start_ns": start, "end_ns": end])
    socket.close()
    context.shutdown()
}
