import Foundation
import Synchronization

/// Set by SIGINT/SIGTERM so that long-running commands stop cleanly (restore the
/// terminal, flush output) instead of dying mid-line.
private let interruptFlag = Atomic<Bool>(false)

enum Interrupt {
    /// Whether the user asked to stop.
    static var requested: Bool { interruptFlag.load(ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to `requested`. A second signal ends the process at once.
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                if interruptFlag.exchange(true, ordering: .relaxed) {
                    _exit(128 + number)
                }
            }
        }
    }
}
