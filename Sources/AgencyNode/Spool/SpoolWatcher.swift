import Foundation
import IBMProtocol
import Logging

/// The spool folder: agency systems drop `.json`, `.jsonl` or `.xml` (CAP) files into
/// `spool/in` (write them elsewhere, or under a name starting with `.`, then rename them
/// in, so that no half-written file is read). Each file is taken by renaming it into
/// `spool/work`, then:
/// - every alert valid: all stored in the outbox, then the file moves to `spool/done`;
/// - any alert invalid: nothing is stored, the file moves to `spool/failed` beside
///   `FILE.error`, which names each bad line and field.
///
/// A file left in `spool/work` by a crash is processed again at start; ids generated for
/// it are derived from its name and line, so it is not stored twice. Runs on a dedicated
/// thread: file and SQLite calls block.
final class SpoolWatcher {
    static let maxFileBytes = 64 << 20

    let directory: String
    private let intake: AlertIntake
    private let queue: IntakeQueue
    private let decodeCAP: CAPDecoder
    private let metrics: AgencyMetrics
    private let logger: Logger
    private let fileManager = FileManager.default

    var inbox: String { directory + "/in" }
    var work: String { directory + "/work" }
    var done: String { directory + "/done" }
    var failed: String { directory + "/failed" }

    init(directory: String, intake: AlertIntake, queue: IntakeQueue, decodeCAP: @escaping CAPDecoder, metrics: AgencyMetrics,
         logger: Logger) throws {
        self.directory = directory
        self.intake = intake
        self.queue = queue
        self.decodeCAP = decodeCAP
        self.metrics = metrics
        self.logger = logger
        for folder in [directory + "/in", directory + "/work", directory + "/done", directory + "/failed"] {
            do {
                try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw AgencyError.storage("cannot create the spool folder \(folder): \(error)")
            }
        }
    }

    /// Scans until `stop` says so.
    func run(every milliseconds: Int64, stop: () -> Bool) {
        for name in files(in: work) { process(name) }  // left by a crash
        while !stop() {
            scanOnce()
            var waited: Int64 = 0
            while waited < milliseconds, !stop() {
                Thread.sleep(forTimeInterval: 0.05)
                waited += 50
            }
        }
    }

    /// Takes and processes every file now in `spool/in`; returns how many.
    @discardableResult
    func scanOnce() -> Int {
        var count = 0
        for name in files(in: inbox) {
            // The rename is the atomic hand-over: a file is taken once, even with two scanners.
            guard rename(inbox + "/" + name, work + "/" + name) == 0 else { continue }
            process(name)
            count += 1
        }
        return count
    }

    private func files(in folder: String) -> [String] {
        ((try? fileManager.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".error") }
            .sorted()
    }

    private func process(_ name: String) {
        let path = work + "/" + name
        var metadata: Logger.Metadata = ["spool.file": "\(name)"]
        let alerts: [Ibm_V1_Alert]
        do {
            alerts = try decode(name: name, path: path)
        } catch let error as AlertValidationError {
            fail(name, issues: error.issues)
            return
        } catch {
            fail(name, issues: [ValidationIssue(field: "$", message: "\(error)")])
            return
        }
        do {
            _ = try queue.submitAndWait(alerts, source: "spool:" + name)
        } catch {
            // Left in spool/work: tried again at the next start.
            logger.error("spool file not stored; it stays in spool/work", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }
        move(path, to: done, name: name)
        metrics.spoolFilesDone.increment()
        metadata["alerts"] = "\(alerts.count)"
        logger.info("spool file stored", metadata: metadata)
    }

    private func decode(name: String, path: String) throws -> [Ibm_V1_Alert] {
        let attributes = try fileManager.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > Self.maxFileBytes {
            throw AlertValidationError(issues: [ValidationIssue(field: "$", message: "the file has \(size) bytes; the limit is \(Self.maxFileBytes)")])
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let seed = "spool:" + name
        switch (name as NSString).pathExtension.lowercased() {
        case "json": return try intake.decodeJSON(bytes, idSeed: seed)
        case "jsonl", "ndjson": return try intake.decodeJSONLines(bytes, idSeed: seed)
        case "xml", "cap":
            let alerts = try decodeCAP(bytes)
            try intake.checkProfile(alerts)
            return alerts
        default:
            throw AlertValidationError(issues: [ValidationIssue(
                field: "$", message: "unsupported file type; use .json (one alert or an array), .jsonl (one per line) or .xml (CAP 1.2)")])
        }
    }

    private func fail(_ name: String, issues: [ValidationIssue]) {
        let target = move(work + "/" + name, to: failed, name: name)
        let text = "\(issues.count) problem\(issues.count == 1 ? "" : "s"); nothing in this file was stored:\n"
            + issues.map { "\($0.field): \($0.message)" }.joined(separator: "\n") + "\n"
        try? text.write(toFile: target + ".error", atomically: true, encoding: .utf8)
        metrics.spoolFilesFailed.increment()
        logger.warning("spool file refused", metadata: ["spool.file": "\(name)", "problems": "\(issues.count)",
                                                        "first": "\(issues.first.map(\.description) ?? "")"])
    }

    /// Moves into `folder`, adding a suffix if the name is taken; returns the new path.
    @discardableResult
    private func move(_ path: String, to folder: String, name: String) -> String {
        var target = folder + "/" + name
        if fileManager.fileExists(atPath: target) {
            target = folder + "/" + name + "." + String(currentMilliseconds())
        }
        if rename(path, target) != 0 {
            logger.error("cannot move a spool file", metadata: ["from": "\(path)", "to": "\(target)", "errno": "\(errno)"])
        }
        return target
    }
}

/// CAP XML → alerts of this agency (shared validation applied), or every problem found.
typealias CAPDecoder = @Sendable ([UInt8]) throws(AlertValidationError) -> [Ibm_V1_Alert]
