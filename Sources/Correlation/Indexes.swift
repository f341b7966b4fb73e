import IBMProtocol

/// Normalised identifier → seqs of the live members that carry it.
///
/// Lookups cost the few members that share one identifier, not the open incidents.
/// Posting order does not affect results: the correlator ranks matches by seq.
struct IdentifierIndex: Sendable {
    /// (kind, value) without building the `kind:value` string on every lookup.
    private struct PostingKey: Hashable, Sendable {
        var kind: IdentifierKind
        var value: String

        init(_ key: IdentifierKey) {
            kind = key.kind
            value = key.value
        }
    }

    private var postings: [PostingKey: [UInt64]] = [:]

    /// Room for this many distinct identifiers (a restore knows an upper bound).
    mutating func reserveCapacity(_ count: Int) {
        postings.reserveCapacity(count)
    }

    mutating func insert(_ seq: UInt64, keys: [IdentifierKey]) {
        for key in keys { postings[PostingKey(key), default: []].append(seq) }
    }

    mutating func remove(_ seq: UInt64, keys: [IdentifierKey]) {
        for key in keys {
            let postingKey = PostingKey(key)
            // In place: a copy of the list would be made otherwise, on every removal.
            guard postings[postingKey]?.removeAll(where: { $0 == seq }) != nil else { continue }
            if postings[postingKey]?.isEmpty == true { postings[postingKey] = nil }
        }
    }

    func members(_ key: IdentifierKey) -> [UInt64] {
        postings[PostingKey(key)] ?? []
    }
}

/// (category, grid cell, time bucket) → seqs of the live located members there.
///
/// Cells are twice the category's proximity radius across and buckets twice its window
/// (plus clock skew) long, so every member within reach of a query is in 1-2 × 1-2 cells
/// (more towards the poles) and 1-2 buckets: a few lookups, whatever the traffic. Smaller
/// cells would return no fewer members in all but need several times the lookups.
struct SpatialTemporalIndex: Sendable {
    struct Key: Hashable, Sendable {
        var category: Int
        var cell: GeoCell
        var bucket: Int64

        /// One word into the hasher instead of four.
        func hash(into hasher: inout Hasher) {
            let cell = UInt64(UInt32(bitPattern: self.cell.lat)) << 32 | UInt64(UInt32(bitPattern: self.cell.lon))
            hasher.combine((cell &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bitPattern: bucket) ^ (UInt64(truncatingIfNeeded: category) << 56))
        }
    }

    private struct Layout: Sendable {
        var grid: GeoGrid
        var radiusKm: Double
        /// Window plus clock skew: how far in time a query reaches.
        var reachMs: Int64
        var bucketMs: Int64
    }

    /// Per category raw value; nil where proximity is off.
    private let layout: [Layout?]
    private(set) var postings: [Key: [UInt64]] = [:]

    init(rules: CorrelationRules) {
        let maxRaw = Ibm_V1_Category.allCases.map(\.rawValue).max() ?? 0
        layout = (0...maxRaw).map { raw in
            guard let category = Ibm_V1_Category(rawValue: raw), let proximity = rules.rules(for: category).proximity else {
                return nil
            }
            let reach = max(1, proximity.windowMilliseconds + rules.clockSkewMilliseconds)
            let (bucket, overflow) = reach.multipliedReportingOverflow(by: 2)
            return Layout(grid: GeoGrid(cellKm: 2 * proximity.maxKm), radiusKm: proximity.maxKm, reachMs: reach,
                          bucketMs: overflow ? reach : bucket)
        }
    }

    private func layout(_ category: Int) -> Layout? {
        category >= 0 && category < layout.count ? layout[category] : nil
    }

    private func key(_ member: Member) -> Key? {
        guard member.located, let entry = layout(member.category.rawValue) else { return nil }
        return Key(category: member.category.rawValue, cell: entry.grid.cell(lat: member.lat, lon: member.lon),
                   bucket: Self.bucket(member.observedMs, entry.bucketMs))
    }

    /// Floor division, so that buckets before 1970 are as long as the others.
    private static func bucket(_ ms: Int64, _ length: Int64) -> Int64 {
        let quotient = ms / length
        return ms < 0 && ms % length != 0 ? quotient - 1 : quotient
    }

    mutating func insert(_ seq: UInt64, member: Member) {
        guard let key = key(member) else { return }
        postings[key, default: []].append(seq)
    }

    mutating func remove(_ seq: UInt64, member: Member) {
        guard let key = key(member), postings[key]?.removeAll(where: { $0 == seq }) != nil else { return }
        if postings[key]?.isEmpty == true { postings[key] = nil }
    }

    /// Members that may be within the proximity rule of a report of `category` at (lat, lon, ms).
    func nearby(category: Ibm_V1_Category, lat: Double, lon: Double, observedMs: Int64) -> [UInt64] {
        guard let entry = layout(category.rawValue) else { return [] }
        let (early, lowOverflow) = observedMs.subtractingReportingOverflow(entry.reachMs)
        let (late, highOverflow) = observedMs.addingReportingOverflow(entry.reachMs)
        let center = Self.bucket(observedMs, entry.bucketMs)
        let buckets = (lowOverflow ? center : Self.bucket(early, entry.bucketMs))...(highOverflow ? center : Self.bucket(late, entry.bucketMs))
        var result: [UInt64] = []
        entry.grid.forEachCell(lat: lat, lon: lon, radiusKm: entry.radiusKm) { cell in
            for bucket in buckets {
                if let list = postings[Key(category: category.rawValue, cell: cell, bucket: bucket)] {
                    result.append(contentsOf: list)
                }
            }
        }
        return result
    }
}

/// Min-heap of (deadline, incident number): the next incident to close idle.
///
/// Entries go stale when an incident's deadline moves or it closes; they are skipped
/// when popped (lazy deletion) and dropped when the heap is rebuilt.
struct ExpiryHeap: Sendable {
    struct Entry: Comparable, Sendable {
        var deadline: Int64
        var incident: UInt64
        static func < (a: Entry, b: Entry) -> Bool {
            (a.deadline, a.incident) < (b.deadline, b.incident)
        }
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var top: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count, entries[left] < entries[smallest] { smallest = left }
                if right < entries.count, entries[right] < entries[smallest] { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }

    /// Replaces the content; sorting yields a valid heap in a deterministic layout.
    mutating func rebuild(_ newEntries: [Entry]) {
        entries = newEntries.sorted()
    }
}
