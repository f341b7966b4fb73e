import Foundation

// ibm-bench: the Swift load clients of `make bench` (see bench/README.md).
let usage = "usage: ibm-bench prepare|publish|subscribe|echo|hist [--option value ...]"
let arguments = CommandLine.arguments
do {
    guard arguments.count >= 2 else { throw BenchError(usage) }
    let options = try Options(arguments.dropFirst(2))
    switch arguments[1] {
    case "prepare": try prepare(options)
    case "publish": try publish(options)
    case "subscribe": try subscribe(options)
    case "echo": try echo(options)
    case "hist": try hist(options)
    default: throw BenchError(usage)
    }
} catch {
    FileHandle.standardError.write(Data("ibm-bench: \(error)\n".utf8))
    exit(2)
}
