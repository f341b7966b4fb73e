import IBMProtocol

/// Normalised identifier → seqs of the live members that carry it.
///
/// Lookups cost the few members that share one identifier, not the open incidents.
/// Posting order does not affect results: the correlator ranks matches by seq.
struct IdentifierIndex: Sendable {
    private(set) var postings: [String: [UInt64]] = [:]

    mutating func insert(_ seq: UInt64, keys: [IdentifierKey]) {
        for key in keys { postings[key.indexKey, default: []].append(seq) }
    }

    mutating func remove(_ seq: UInt64, keys: [IdentifierKey]) {
        for key in keys {
            let indexKey = key.indexKey
            guard var list = postings[indexKey] else { continue }
            list.removeAll { $0 == seq }
            postings[indexKey] = list.isEmpty ? nil : list
        }
    }

    func members(_ key: IdentifierKey) -> [UInt64] {
        postings[key.indexKey] ?? []
    }
}

/// (category, grid cell, time bucket) → seqs of the live located members there.
///
/// Cells are as large as the category's proximity radius and buckets as long as its window
/// (plus clock skew), so every member within reach is in the 2-3 × 2-3 cells and 2 buckets
/// around a query (more cells towards the poles): a handful of lookups, whatever the traffic.
struct SpatialTemporalIndex: Sendable {
    struct Key: Hashable, Sendable {
        var category: Int
        var cell: GeoCell
        var bucket: Int64
    }

    /// Grid and bucket length per category raw value; nil where proximity is off.
    private let layout: [Int: (grid: GeoGrid, bucketMs: Int64, radiusKm: Double)]
    private(set) var postings: [Key: [UInt64]] = [:]

    init(rules: CorrelationRules) {
        var layout: [Int: (grid: GeoGrid, bucketMs: Int64, radiusKm: Double)] = [:]
        for category in Ibm_V1_Category.allCases {
            guard let proximity = rules.rules(for: category).proximity else { continue }
            layout[category.rawValue] = (GeoGrid(cellKm: proximity.maxKm),
                                         max(1, proximity.windowMilliseconds + rules.clockSkewMilliseconds), proximity.maxKm)
        }
        self.layout = layout
    }

    private func key(_ member: Member) -> Key? {
        guard member.located, let entry = layout[member.category.rawValue] else { return nil }
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
        guard let key = key(member), var list = postings[key] else { return }
        list.removeAll { $0 == seq }
        postings[key] = list.isEmpty ? nil : list
    }

    /// Members that may be within the proximity rule of a report of `category` at (lat, lon, ms).
    func nearby(category: Ibm_V1_Category, lat: Double, lon: Double, observedMs: Int64) -> [UInt64] {
        guard let entry = layout[category.rawValue] else { return [] }
        // Usually two buckets: the window reaches into one neighbour only.
        let (early, lowOverflow) = observedMs.subtractingReportingOverflow(entry.bucketMs)
        let (late, highOverflow) = observedMs.addingReportingOverflow(entry.bucketMs)
        let center = Self.bucket(observedMs, entry.bucketMs)
        let buckets = (lowOverflow ? center : Self.bucket(early, entry.bucketMs))...(highOverflow ? center : Self.bucket(late, entry.bucketMs))
        var result: [UInt64] = []
        for cell in entry.grid.cells(lat: lat, lon: lon, radiusKm: entry.radiusKm) {
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
