/// Why the hub could not start or keep running.
public enum HubError: Error, Sendable, CustomStringConvertible {
    case configuration(String)
    case socket(endpoint: String, reason: String)
    case journal(String)
    case recovery(String)
    case keys(String)

    public var description: String {
        switch self {
        case let .configuration(reason): "configuration: \(reason)"
        case let .socket(endpoint, reason): "cannot use \(endpoint): \(reason)"
        case let .journal(reason): "journal: \(reason)"
        case let .recovery(reason): "recovery: \(reason)"
        case let .keys(reason): "keys: \(reason)"
        }
    }
}
