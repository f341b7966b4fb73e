import Foundation
import ZeroMQ

/// `echo --ingest E --feed E [--keys DIR]`: the acked ROUTER echo. Each `[peer][index][request]`
/// is forwarded to the XPUB (bounded HWM, XPUB_NODROP: it waits rather than drops) and
/// then acked with `[peer][index]`. No disk, no decoding: the cost of messaging alone.
func echo(_ options: Options) throws {
    let context = try ZMQContext()
    let router = try context.makeSocket(.router)
    let feed = try context.makeSocket(.xpub)
    for socket in [router, feed] {
        try socket.set(.linger, 0)
        try socket.set(.sendHighWaterMark, 10_000)
        try socket.set(.receiveHighWaterMark, 10_000)
        if let keys = options.optional("keys") { try applyCurveServer(socket, keys: keys, name: "hub") }
    }
    try feed.set(.xpubNoDrop, true)
    try router.bind(try options.string("ingest"))
    try feed.bind(try options.string("feed"))
    var poller = Poller()
    _ = try poller.add(router)
    _ = try poller.add(feed)
    var peer = Message(), index = Message(), body = Message(), subscription = Message()
    while true {
        let ready = try poller.poll(timeoutMilliseconds: 1000)
        if ready.isReadable(1) {
            while try feed.receive(into: &subscription, dontWait: true) {}
        }
        guard ready.isReadable(0) else { continue }
        while try router.receive(into: &peer, dontWait: true) {
            guard peer.more, try router.receive(into: &index, dontWait: false), index.more,
                  try router.receive(into: &body, dontWait: false) else { continue }
            try feed.send(&body)
            try router.send(&peer, more: true)
            try router.send(&index)
        }
    }
}
