/// Person names in Latin transliteration, reduced so that spelling variants of one
/// Arabic (or Tuareg, Hausa, Tubu…) name compare equal.
///
/// Names are corroborating evidence only: the engine never joins on a name. It compares
/// names where a document number matches but one side gives no nationality.
///
/// The rules are the usual variation of romanised Arabic, not a list of names:
/// - the article `al`/`el` and its assimilated forms (`ar-`, `as-`, `ad-`…) are dropped,
///   so `Al-Hasnawi`, `El Hasnawi` and `Hasnawi` agree;
/// - `Abd`, `Abu`, `Ben`/`Bin`/`Ibn`, `Ould`, `ag` bind to the next word, and a fused article is
///   dropped, so `Abdelkader`, `Abd al-Qadir` and `Abdul Qadir` agree, as do `Ben Youssef` and `Benyoussef`;
/// - digraphs and letters that render one Arabic sound are merged (`kh`→k, `sh`/`ch`→s, `th`→t,
///   `dh`→d, `gh`→g, `dj`→j, `q`/`c`→k, `ph`→f); doubled letters count once;
/// - a final `h` after a vowel (ta marbuta: `Fatimah`/`Fatima`) is dropped;
/// - vowels are dropped, since short vowels are not written in Arabic and each
///   transliteration guesses them: `Mohamed`, `Mohammed`, `Muhammad` are all `MHMD`;
/// - `g` stands for qaf in Maghrebi/Sudanese and for jim in Egyptian usage, so it matches
///   `k` and `j` (`Ishaq`/`Ishag`, `Jamal`/`Gamal`);
/// - word order is free (SURNAME-first forms).
public enum NameNormalizer {
    /// Definite-article forms, when written as their own word (`al Qadir`, `El-Kikli`, `ad-Din`).
    static let articles: Set<String> = [
        "AL", "EL", "UL", "OL", "IL", "AR", "ER", "UR", "AS", "ES", "US", "ASH", "ESH", "AD", "ED", "UD", "ADH",
        "AT", "ET", "UT", "ATH", "AZ", "EZ", "UZ", "AN", "EN", "UN",
    ]
    /// Words that form one name with the word after them.
    static let binding: [String: String] = [
        "ABD": "ABD", "ABDEL": "ABD", "ABDUL": "ABD", "ABDAL": "ABD", "ABDOUL": "ABD", "ABDOL": "ABD",
        "ABU": "ABU", "ABOU": "ABU", "ABO": "ABU", "BOU": "ABU",
        "BEN": "BEN", "BIN": "BEN", "IBN": "BEN", "BENT": "BENT", "BINT": "BENT",
        "OULD": "OULD", "WALD": "OULD", "AG": "AG", "WALET": "WALET", "WALAT": "WALET",
    ]

    /// The comparison form: one skeleton per name part, in the order written.
    public static func tokens(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        // Apostrophes and ayn/hamza marks (`Ma'ruf`, `Maʿruf`) are not separators: they vanish.
        for scalar in TextFolding.stripLatinDiacritics(name).unicodeScalars {
            if scalar.value >= 0x41 && scalar.value <= 0x5A {
                current.unicodeScalars.append(scalar)
            } else if ["'", "\u{2019}", "\u{02BF}", "\u{02BE}", "`", "\u{2018}"].contains(scalar) {
                continue
            } else if TextFolding.isArabicLetter(scalar) {
                // Arabic-script names are compared letter for letter after folding.
                if let folded = TextFolding.foldArabic(scalar) { current.unicodeScalars.append(folded) }
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }

        var parts: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if let base = binding[word], index + 1 < words.count {
                var next = index + 1
                if articles.contains(words[next]), next + 1 < words.count { next += 1 }
                parts.append(base + words[next])
                index = next + 1
            } else if articles.contains(word), index + 1 < words.count {
                index += 1
            } else {
                parts.append(word)
                index += 1
            }
        }
        return parts.map { skeleton(dropFusedArticle($0)) }
    }

    /// `ABDELKADER` → `ABDKADER`, `ABDERRAHMANE` → `ABDRAHMANE`, `ABDALLAH` → `ABDLAH`:
    /// after `ABD`, a vowel plus `L` or plus a doubled (assimilated) consonant is the article.
    static func dropFusedArticle(_ word: String) -> String {
        let letters = Array(word.unicodeScalars)
        guard letters.count > 6, word.hasPrefix("ABD"), "AEIOU".unicodeScalars.contains(letters[3]) else { return word }
        let vowels = "AEIOU".unicodeScalars
        if letters[4] == "L", !vowels.contains(letters[5]) || letters[5] == "L" || letters.count > 7 {
            return "ABD" + String(String.UnicodeScalarView(letters[5...]))
        }
        if letters[4] == letters[5], !vowels.contains(letters[4]) {
            return "ABD" + String(String.UnicodeScalarView(letters[5...]))
        }
        return word
    }

    /// Consonant skeleton of one Latin name part; Arabic-script parts pass through.
    static func skeleton(_ word: String) -> String {
        guard word.utf8.allSatisfy({ $0 < 0x80 }) else { return word }
        var letters = Array(word.utf8)
        func isVowel(_ letter: UInt8) -> Bool { "AEIOUY".utf8.contains(letter) }
        // Final ta marbuta is written -a or -ah (Fatima/Fatimah, Aisha/Aishah).
        if letters.count > 2, letters[letters.count - 1] == UInt8(ascii: "H"), isVowel(letters[letters.count - 2]) {
            letters.removeLast()
        }
        var out: [UInt8] = []
        func emit(_ letter: Character) {
            guard let byte = letter.asciiValue, !isVowel(byte), out.last != byte else { return }
            out.append(byte)
        }
        var index = 0
        while index < letters.count {
            let letter = Character(Unicode.Scalar(letters[index]))
            let next = index + 1 < letters.count ? Character(Unicode.Scalar(letters[index + 1])) : " "
            // Digraphs and letters that render one Arabic sound; French soft c before e/i is s.
            switch (letter, next) {
            case ("K", "H"), ("C", "K"): emit("K"); index += 2
            case ("G", "H"): emit("G"); index += 2
            case ("S", "H"), ("C", "H"): emit("S"); index += 2
            case ("T", "H"): emit("T"); index += 2
            case ("D", "H"): emit("D"); index += 2
            case ("P", "H"): emit("F"); index += 2
            case ("D", "J"): emit("J"); index += 2
            case ("C", "E"), ("C", "I"): emit("S"); index += 1
            case ("C", _), ("Q", _): emit("K"); index += 1
            case ("X", _): emit("K"); emit("S"); index += 1
            default: emit(letter); index += 1
            }
        }
        return out.isEmpty ? word : String(decoding: out, as: UTF8.self)
    }

    /// Whether two skeletons can be one name part: equal, with `G` matching `K` or `J`.
    static func partsMatch(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            let pair: Set<Unicode.Scalar> = [p, q]
            guard pair == ["G", "K"] || pair == ["G", "J"] else { return false }
        }
        return true
    }

    /// Whether two names may belong to one person: at least two parts agree (or every
    /// part of a one-part name). A missing name contradicts nothing.
    public static func compatible(_ a: String, _ b: String) -> Bool {
        compatible(parts: tokens(a), tokens(b))
    }

    /// `compatible` on names already reduced by `tokens`.
    static func compatible(parts left: [String], _ right: [String]) -> Bool {
        if left.isEmpty || right.isEmpty { return true }
        let (short, long) = left.count <= right.count ? (left, right) : (right, left)
        var unused = long
        var agreed = 0
        for part in short {
            if let match = unused.firstIndex(where: { partsMatch(part, $0) }) {
                unused.remove(at: match)
                agreed += 1
            }
        }
        return agreed >= min(2, short.count)
    }

    /// One printable form, order-free: the sorted skeletons, e.g. `ALI MHMD` for `Mohamed Ali`.
    public static func canonical(_ name: String) -> String {
        tokens(name).sorted().joined(separator: " ")
    }
}
