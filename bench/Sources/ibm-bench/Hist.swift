import Foundation
import Histogram

/// `hist FILE...`: merges raw latency samples (u64 little-endian ns) into one
/// HdrHistogram and prints `count=N p50_ms=X p99_ms=Y p999_ms=Z max_ms=M`.
func hist(_ options: Options) throws {
    var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    for path in options.positional {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        data.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count - 7, by: 8) {
                histogram.record(min(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)), 600_000_000_000))
            }
        }
    }
    func ms(_ value: UInt64) -> String { String(format: "%.3f", Double(value) / 1_000_000) }
    print("count=\(histogram.totalCount) p50_ms=\(ms(histogram.valueAtPercentile(50))) p99_ms=\(ms(histogram.valueAtPercentile(99)))"
          + " p999_ms=\(ms(histogram.valueAtPercentile(99.9))) max_ms=\(ms(histogram.max))")
}
