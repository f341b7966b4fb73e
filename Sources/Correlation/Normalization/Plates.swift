/// A vehicle plate reduced to the characters that identify it.
public struct NormalizedPlate: Sendable, Hashable {
    /// Digits and letters, no separators; a country word inside the plate (Tunisian
    /// `123 تونس 4567`) becomes its ISO code: `123TN4567`.
    public var registration: String
    /// ISO 3166-1 alpha-2 country: from a country word on the plate, else from the
    /// subject's `country` field; nil when neither says.
    public var country: String?

    public init(registration: String, country: String?) {
        self.registration = registration
        self.country = country
    }
}

/// Country names and codes as they appear on and around plates of the region.
enum Countries {
    /// Arabic names and ISO alpha-3 codes of the border-security secretariat's states → alpha-2.
    static let words: [String: String] = {
        let raw: [(String, String)] = [
            ("تونس", "TN"), ("TUN", "TN"),
            ("ليبيا", "LY"), ("LBY", "LY"),
            ("مصر", "EG"), ("EGY", "EG"),
            ("الجزائر", "DZ"), ("DZA", "DZ"),
            ("المغرب", "MA"), ("MAR", "MA"),
            ("موريتانيا", "MR"), ("MRT", "MR"),
            ("السودان", "SD"), ("SDN", "SD"),
            ("تشاد", "TD"), ("TCD", "TD"),
            ("النيجر", "NE"), ("NER", "NE"),
            ("مالي", "ML"), ("MLI", "ML"),
        ]
        // Keys in folded form (ئ → ي, …), the form the plate text is compared in.
        return Dictionary(raw.map { (TextFolding.alphanumeric($0.0), $0.1) }, uniquingKeysWith: { first, _ in first })
    }()

    static let alpha2: Set<String> = Set(words.values)

    /// ISO alpha-2 for a `country`/`nationality` field written as alpha-2, alpha-3 or a name above.
    static func code(_ field: String) -> String? {
        let folded = TextFolding.alphanumeric(field)
        if let code = words[folded] { return code }
        guard folded.count == 2, folded.unicodeScalars.allSatisfy({ $0.value >= 0x41 && $0.value <= 0x5A }) else { return nil }
        return folded
    }
}

/// Plates as agencies write them: any case; spaces, dashes and dots or none; Latin,
/// Arabic-Indic or Eastern Arabic-Indic digits; the country as an Arabic word or a
/// Latin code, inside the plate or before/after it.
public enum PlateNormalizer {
    private struct Run {
        var kind: TextFolding.CharacterClass
        var text: String
    }

    /// The normalised plate, or nil when nothing identifying is left (no digit).
    public static func normalize(_ plate: String, country: String = "") -> NormalizedPlate? {
        // Words are what separators delimit; runs split words where the script changes,
        // so `123TUN4567` and `123 TUN 4567` give the same runs.
        var words: [[Run]] = [[]]
        for item in TextFolding.classify(plate) {
            guard let (kind, scalar) = item else {
                if !(words.last?.isEmpty ?? true) { words.append([]) }
                continue
            }
            if var last = words[words.count - 1].last, last.kind == kind {
                last.text.unicodeScalars.append(scalar)
                words[words.count - 1][words[words.count - 1].count - 1] = last
            } else {
                words[words.count - 1].append(Run(kind: kind, text: String(Character(scalar))))
            }
        }
        words.removeAll { $0.isEmpty }

        var plateCountry: String?
        // A country word standing alone before or after the registration is a country mark
        // (`ليبيا 5-123456`, `LBY 5-123456`), not part of the registration.
        func edgeCountry(_ word: [Run]) -> String? {
            guard word.count == 1, word[0].kind != .digit else { return nil }
            return Countries.words[word[0].text] ?? (Countries.alpha2.contains(word[0].text) ? word[0].text : nil)
        }
        while words.count > 1, let code = edgeCountry(words[0]) {
            plateCountry = code
            words.removeFirst()
        }
        while words.count > 1, let last = words.last, let code = edgeCountry(last) {
            plateCountry = code
            words.removeLast()
        }

        var runs = words.flatMap { $0 }
        for index in runs.indices where runs[index].kind != .digit {
            if let code = Countries.words[runs[index].text] {
                runs[index] = Run(kind: .latin, text: code)
                plateCountry = code
            } else if Countries.alpha2.contains(runs[index].text), index > 0, index < runs.count - 1,
                      runs[index - 1].kind == .digit, runs[index + 1].kind == .digit {
                // Already-normalised Tunisian form `123TN4567`.
                plateCountry = runs[index].text
            }
        }
        guard runs.contains(where: { $0.kind == .digit }) else { return nil }

        // Arabic letters and digits run in opposite directions, so the same plate is typed
        // letters-first or digits-first depending on the keyboard: fix one order.
        if runs.allSatisfy({ $0.kind != .latin }) {
            let blocks = runs.reduce(into: [TextFolding.CharacterClass]()) { blocks, run in
                if blocks.last != run.kind { blocks.append(run.kind) }
            }
            if blocks == [.digit, .arabic] {
                runs = runs.filter { $0.kind == .arabic } + runs.filter { $0.kind == .digit }
            }
        }

        let registration = runs.map(\.text).joined()
        return NormalizedPlate(registration: registration, country: plateCountry ?? Countries.code(country))
    }
}
