import ArgumentParser
import Journal

/// `ibmctl verify`: checks the journal's hash chain.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the journal has not been altered.",
        discussion: """
            Walks the hash chain from the oldest kept record: checks that sequence numbers are \
            contiguous and that every record matches its SHA-256 chain hash. Reads the SQLite file \
            directly; the hub may keep running.

            Prints `ok: N records, seq A..B, head hash H` and exits 0, or names the first bad \
            sequence number and what is wrong with it (altered, missing, out of order) and exits 1. \
            Exits 2 when the file is not a journal or cannot be read.
            """)

    @Option(help: ArgumentHelp("The journal file (data_dir/journal.sqlite).", valueName: "path"))
    var journal: String

    func run() throws {
        let reader = try JournalReader(path: journal)
        let high = try reader.highSeq()
        let low = try reader.lowSeq()
        let progress = ProgressBar(label: "verify", total: high >= low ? high - low + 1 : nil)
        let report = try reader.verify { checked in
            progress.update(done: checked >= low ? checked - low + 1 : 0, records: checked >= low ? checked - low + 1 : 0)
        }
        progress.finish()
        let output = BufferedOutput.standardOutput()
        switch report {
        case let .ok(records, first, last, head):
            let range = records == 0 ? "no records" : "seq \(first)..\(last)"
            output.write("ok: \(records) records, \(range), head hash \(Self.hex(head))\n")
        case let .broken(seq, problem, detail):
            output.write("bad: seq \(seq) is \(Self.name(problem)): \(detail)\n")
            output.flush()
            throw ExitCode(1)
        }
    }

    static func name(_ problem: VerificationReport.Problem) -> String {
        switch problem {
        case .altered: "altered"
        case .missing: "missing"
        case .outOfOrder: "out of order"
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}
