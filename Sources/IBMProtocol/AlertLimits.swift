/// Size bounds on every string and repeated field of an alert, checked at decode.
///
/// They bound the memory and journal space one alert can take, whatever its sender.
public struct AlertLimits: Sendable, Equatable {
    public var maxIDBytes = 64
    public var maxOriginBytes = 32
    public var maxHeadlineBytes = 512
    public var maxDescriptionBytes = 8192
    /// Any other string field: place, sector, plate, name, document, …
    public var maxFieldBytes = 256
    public var maxReferences = 32
    public var maxRecipients = 32
    public var maxSubjects = 64
    public var maxNationalities = 32
    /// Earliest and latest accepted observed_at (Unix seconds): 2000-01-01 to 2100-01-01.
    public var observedAtRange: Range<Int64> = 946_684_800..<4_102_444_800

    public init() {}

    public static let `default` = AlertLimits()
}
