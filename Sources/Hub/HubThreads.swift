import Correlation
import Foundation
import Journal
import Logging
import ZeroMQ

/// Sets up and runs the hub's threads. Everything here runs on the core thread,
/// which starts the journal writer and sync threads and joins them at the end.
struct HubThreads {
    let hub: Hub
    let context: ZMQContext
    let security: HubSecurity

    private var configuration: HubConfiguration { hub.configuration }
    private var logger: Logger { hub.logger }

    func runCore() -> Result<Void, HubError> {
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            return .failure(.journal("cannot create the data folder \(configuration.dataDirectory): \(error)"))
        }
        let path = configuration.journalPath
        let writer: JournalWriter
        let reader: JournalReader
        do {
            writer = try JournalWriter(path: path, durability: configuration.journal.durability, logger: logger)
            reader = try JournalReader(path: path)
        } catch {
            return .failure(.journal("\(error)"))
        }

        let recovered: PictureState
        let started = ContinuousClock.now
        do {
            recovered = try PictureState.recover(from: reader, rules: hub.rules, logger: logger)
        } catch {
            return .failure(.recovery("\(error)"))
        }
        logger.info("picture recovered from the journal", metadata: recovered.timings.metadata.merging([
            "journal.seq": "\(recovered.journalSeq)", "checkpoint.seq": "\(recovered.checkpointSeq)",
            "open_incidents": "\(recovered.correlator.openIncidentCount)",
            "duration": "\(ContinuousClock.now - started)",
        ]) { _, new in new })

        // The writer link: bound here before the writer thread connects to it.
        let linkEndpoint = "inproc://hub.journal.\(UInt64.random(in: 0...UInt64.max))"
        let queue = CommitQueue()
        let ingest: Socket
        let feed: Socket
        let link: Socket
        do {
            link = try context.makeSocket(.pair)
            try link.bind(linkEndpoint)
            ingest = try bind(.router, configuration.endpoints.ingest) { socket throws(ZMQError) in
                try socket.set(.receiveHighWaterMark, configuration.limits.receiveHWM)
                try socket.set(.sendHighWaterMark, configuration.limits.receiveHWM * 2)
                // Acks of the last commit must leave before the socket closes.
                try socket.set(.linger, 2000)
            }
            feed = try bindFeed()
        } catch let error as HubError {
            return .failure(error)
        } catch {
            return .failure(.socket(endpoint: linkEndpoint, reason: "\(error)"))
        }

        let writerThread: ConfinedThread<Void>
        do {
            let loop = JournalWriterLoop(
                context: context, endpoint: linkEndpoint, queue: queue, journal: writer, metrics: hub.metrics,
                logger: logger)
            writerThread = try ConfinedThread(name: "hub.journal") { loop.run() }
        } catch {
            return .failure(.journal("cannot start the writer thread: \(error)"))
        }

        let syncThread: ConfinedThread<Result<Void, HubError>>
        do {
            syncThread = try startSync()
        } catch let error as HubError {
            hub.status.state.withLock { $0.stopRequested = true }
            queue.requestStop()
            _ = try? link.send([UInt8]())
            writerThread.join()
            return .failure(error)
        } catch {
            return .failure(.socket(endpoint: configuration.endpoints.sync, reason: "\(error)"))
        }

        hub.status.state.withLock { $0.socketsBound = true }
        logger.info("hub ready", metadata: [
            "ingest": "\(configuration.endpoints.ingest)", "feed": "\(configuration.endpoints.feed)",
            "sync": "\(configuration.endpoints.sync)", "journal": "\(path)",
            "durability": "\(configuration.journal.durability.rawValue)",
        ])
        let handedOver = ContinuousClock.now
        let core = HubCore(
            configuration: configuration, rules: hub.rules, reader: reader, queue: queue, picture: hub.picture,
            metrics: hub.metrics, status: hub.status, recovered: recovered, security: security, logger: logger)
        // Mostly the published picture's reset: the sync thread's copy of the open incidents.
        logger.info("picture published", metadata: [
            "open_incidents": "\(hub.picture.count)",
            "picture_reset_ms": "\(Int(((ContinuousClock.now - handedOver) / .milliseconds(1)).rounded()))",
            "since_recovery_start_ms": "\(Int(((ContinuousClock.now - started) / .milliseconds(1)).rounded()))",
        ])
        let publisher = FeedPublisher(
            socket: feed, security: security, baseline: recovered.lastEventSeq, metrics: hub.metrics, logger: logger)
        var outcome: Result<Void, HubError> = .success(())
        defer { publisher.socket.close() }
        do {
            try core.run(ingest: ingest, feed: publisher, writer: link, rebindFeed: rebindFeed)
        } catch {
            logger.critical("hub core failed", metadata: ["error": "\(error)"])
            outcome = .failure(.recovery("core loop failed: \(error)"))
            hub.status.state.withLock { $0.stopRequested = true }
            queue.requestStop()
            _ = try? link.send([UInt8]())
        }
        hub.status.state.withLock { $0.stopRequested = true }
        writerThread.join()
        if case let .failure(error) = syncThread.join() { logger.error("sync stopped with an error", metadata: ["error": "\(error)"]) }
        ingest.close()
        link.close()
        reader.close()
        return outcome
    }

    private func startSync() throws -> ConfinedThread<Result<Void, HubError>> {
        let hub = self.hub
        let context = self.context
        let security = self.security
        let configuration = self.configuration
        let logger = self.logger
        let ready = SyncReady()
        let thread = try ConfinedThread(name: "hub.sync") { () -> Result<Void, HubError> in
            let threads = HubThreads(hub: hub, context: context, security: security)
            let socket: Socket
            let reader: JournalReader
            do {
                reader = try JournalReader(path: configuration.journalPath)
                socket = try threads.bind(.router, configuration.endpoints.sync) { socket throws(ZMQError) in
                    try socket.set(.receiveHighWaterMark, configuration.limits.receiveHWM)
                    try socket.set(.sendHighWaterMark, 4096)
                }
            } catch let error as HubError {
                ready.set(.failure(error))
                return .failure(error)
            } catch {
                let failure = HubError.journal("\(error)")
                ready.set(.failure(failure))
                return .failure(failure)
            }
            ready.set(.success(()))
            defer {
                socket.close()
                reader.close()
            }
            let server = SyncServer(
                socket: socket, reader: reader, picture: hub.picture, limits: configuration.limits,
                security: security, metrics: hub.metrics, status: hub.status, logger: logger)
            do {
                try server.run()
                return .success(())
            } catch {
                return .failure(.socket(endpoint: configuration.endpoints.sync, reason: "\(error)"))
            }
        }
        try ready.wait().get()
        return thread
    }

    private func bindFeed() throws(HubError) -> Socket {
        try bind(.xpub, configuration.endpoints.feed) { socket throws(ZMQError) in
            try socket.set(.xpubManual, true)
            try socket.set(.sendHighWaterMark, configuration.limits.feedSendHWM)
        }
    }

    /// A new feed socket on the same endpoint, once the old one is closed. The old listener
    /// closes asynchronously, so the port may stay busy for a moment.
    private func rebindFeed() throws -> Socket {
        var lastError: HubError?
        for _ in 0..<200 {
            do {
                return try bindFeed()
            } catch {
                lastError = error
                usleep(25_000)
            }
        }
        throw lastError ?? HubError.socket(endpoint: configuration.endpoints.feed, reason: "cannot rebind")
    }

    /// A socket of the hub's, secured, limited and bound.
    func bind(_ type: SocketType, _ endpoint: String, configure: (Socket) throws(ZMQError) -> Void) throws(HubError) -> Socket {
        do {
            let socket = try context.makeSocket(type)
            try socket.set(.maxMessageSize, configuration.limits.maxMessageBytes)
            try security.secure(socket)
            try configure(socket)
            try socket.bind(endpoint)
            return socket
        } catch {
            throw HubError.socket(endpoint: endpoint, reason: error.description)
        }
    }
}

/// One-shot hand-over of the sync thread's start-up result to the core thread.
private final class SyncReady: Sendable {
    private let condition = NSCondition()
    private let result = Mutex<Result<Void, HubError>?>(nil)

    func set(_ value: Result<Void, HubError>) {
        condition.lock()
        result.withLock { $0 = value }
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<Void, HubError> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = result.withLock({ $0 }) { return value }
            condition.wait()
        }
    }
}

import Synchronization
