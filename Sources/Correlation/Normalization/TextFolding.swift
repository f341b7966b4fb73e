import Foundation

/// Character folding shared by the identifier and name normalisers.
enum TextFolding {
    /// The class of a folded character: what identifiers are made of. Anything else separates.
    enum CharacterClass: Equatable {
        case digit, latin, arabic
    }

    /// ASCII digit for Arabic-Indic (U+0660…), Eastern Arabic-Indic (U+06F0…) and fullwidth digits.
    static func asciiDigit(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        let value = scalar.value
        for base: UInt32 in [0x30, 0x660, 0x6F0, 0xFF10] where value >= base && value <= base + 9 {
            return Unicode.Scalar(0x30 + value - base)
        }
        return nil
    }

    /// Arabic letters with the spelling variants that carry no identity removed: hamza seats
    /// and madda on alef, alef maqsura as ya, ta marbuta as ha. Nil for harakat and tatweel.
    static func foldArabic(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar.value {
        case 0x0622, 0x0623, 0x0625, 0x0671: return "\u{0627}"  // آ أ إ ٱ → ا
        case 0x0649, 0x0626: return "\u{064A}"  // ى ئ → ي
        case 0x0629: return "\u{0647}"  // ة → ه
        case 0x0624: return "\u{0648}"  // ؤ → و
        case 0x0640, 0x064B...0x065F, 0x0670: return nil  // tatweel, harakat, superscript alef
        default: return scalar
        }
    }

    static func isArabicLetter(_ scalar: Unicode.Scalar) -> Bool {
        (0x0621...0x064A).contains(scalar.value) || (0x0671...0x06D3).contains(scalar.value)
    }

    /// Canonical decomposition with combining marks dropped and Latin letters upper-cased,
    /// so that `é` is `E`; other scripts pass through.
    static func stripLatinDiacritics(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy(\.isASCII) { return text.uppercased() }
        var out = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            // Arabic marks (hamza above, harakat) are handled by foldArabic; only Latin accents go.
            if (0x0300...0x036F).contains(scalar.value) { continue }
            out.append(scalar)
        }
        return String(out).uppercased()
    }

    /// The text as (class, folded scalar) pairs, separators as nil.
    static func classify(_ text: String) -> [(CharacterClass, Unicode.Scalar)?] {
        var result: [(CharacterClass, Unicode.Scalar)?] = []
        // Decomposition also splits أ into ا + hamza above, which foldArabic then drops.
        for scalar in stripLatinDiacritics(text).unicodeScalars {
            if let digit = asciiDigit(scalar) {
                result.append((.digit, digit))
            } else if scalar.value >= 0x41 && scalar.value <= 0x5A {
                result.append((.latin, scalar))
            } else if isArabicLetter(scalar) || (0x0640...0x0670).contains(scalar.value) {
                if let folded = foldArabic(scalar) { result.append((.arabic, folded)) }
            } else {
                result.append(nil)
            }
        }
        return result
    }

    /// Letters and digits only, digits as ASCII, Latin upper-case: the form of document
    /// numbers, serials and references, which agencies write with any spacing and separators.
    static func alphanumeric(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for case let (_, scalar)? in classify(text) { out.append(scalar) }
        return String(out)
    }
}
