import IBMProtocol

/// A CAP document that cannot become alerts: every problem found, each naming the element and the rule.
public struct CAPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One broken rule.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// Where in the document: an element path such as `alert/info/area/polygon`, or `xml` for
        /// a document that is not well-formed (then `message` gives the line and column).
        public let path: String
        /// The alert JSON field the element maps to (`location.lat`), when the rule is the alert
        /// validator's; nil for rules of CAP itself.
        public let field: String?
        public let message: String

        public init(path: String, field: String? = nil, message: String) {
            self.path = path
            self.field = field
            self.message = message
        }

        public var description: String {
            field.map { "\(path) (\($0)): \(message)" } ?? "\(path): \(message)"
        }
    }

    public let issues: [Issue]

    public init(issues: [Issue]) {
        self.issues = issues
    }

    public init(path: String, _ message: String) {
        issues = [Issue(path: path, message: message)]
    }

    public var description: String { issues.map(\.description).joined(separator: "; ") }

    /// The issues as the alert validator's, named by CAP path, for callers that report both kinds alike.
    public var validationIssues: [ValidationIssue] {
        issues.map { issue in
            ValidationIssue(field: issue.path, message: issue.field.map { "(\($0)) \(issue.message)" } ?? issue.message)
        }
    }
}
