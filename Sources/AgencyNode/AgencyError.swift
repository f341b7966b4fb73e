/// Why the agency daemon could not start or a request failed.
public enum AgencyError: Error, Sendable, CustomStringConvertible {
    case configuration(String)
    case storage(String)
    case stopped

    public var description: String {
        switch self {
        case let .configuration(reason): "configuration: \(reason)"
        case let .storage(reason): "storage: \(reason)"
        case .stopped: "the daemon is stopping"
        }
    }
}
