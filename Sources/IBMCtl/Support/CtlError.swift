/// A failure that ends a command with a message and an exit code scripts can trust.
struct CtlError: Error, CustomStringConvertible {
    var message: String
    /// 1: the check failed; 2: usage or connection error.
    var exitCode: Int32

    /// Bad arguments or input the command cannot use.
    static func usage(_ message: String) -> CtlError { CtlError(message: message, exitCode: 2) }
    /// The hub, a file or an endpoint could not be reached.
    static func connection(_ message: String) -> CtlError { CtlError(message: message, exitCode: 2) }
    /// The command ran, and what it checked is not right.
    static func checkFailed(_ message: String) -> CtlError { CtlError(message: message, exitCode: 1) }

    var description: String { message }
}
