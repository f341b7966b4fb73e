import Correlation
import Foundation
import Testing

@Suite struct PlateNormalizationTests {
    private func registration(_ plate: String, country: String = "") -> String? {
        PlateNormalizer.normalize(plate, country: country)?.registration
    }

    @Test func theFourWritingsOfOneTunisianPlateAreOne() {
        for plate in ["123 TUN 4567", "123TUN4567", "123-تونس-4567", "١٢٣ تونس ٤٥٦٧"] {
            #expect(registration(plate) == "123TN4567", "\(plate)")
            #expect(PlateNormalizer.normalize(plate)?.country == "TN", "\(plate)")
        }
    }

    @Test func caseIsIgnored() {
        #expect(registration("6f-7481-rn") == registration("6F-7481-RN"))
    }

    @Test func spacesDashesAndDotsAreIgnored() {
        let expected = "6F7481RN"
        for plate in ["6F 7481 RN", "6F-7481-RN", "6F.7481.RN", "6F7481RN", " 6F – 7481 · RN "] {
            #expect(registration(plate) == expected, "\(plate)")
        }
    }

    @Test func arabicIndicDigitsAreDigits() {
        #expect(registration("٨٣-١٠١٠١٨") == "83101018")
    }

    @Test func easternArabicIndicDigitsAreDigits() {
        // U+06F0… (Persian/Urdu keyboards).
        #expect(registration("۸۳-۱۰۱۰۱۸") == "83101018")
    }

    @Test(arguments: [
        ("تونس", "TUN", "TN", "TN"), ("ليبيا", "LBY", "LY", "LY"), ("مصر", "EGY", "EG", "EG"), ("الجزائر", "DZA", "DZ", "DZ"),
    ])
    func countryWordsAndCodesInsideAPlateAreOne(arabic: String, alpha3: String, alpha2: String, expected: String) {
        let forms = ["12 \(arabic) 345", "12 \(alpha3) 345", "12\(alpha3)345", "12 \(alpha2) 345"]
        for form in forms {
            #expect(registration(form) == "12\(expected)345", "\(form)")
            #expect(PlateNormalizer.normalize(form)?.country == expected, "\(form)")
        }
    }

    @Test func aCountryMarkBeforeOrAfterThePlateIsNotPartOfIt() {
        for plate in ["ليبيا 5-123456", "LBY 5-123456", "5-123456 LBY", "LY 5 123456", "5-123456"] {
            #expect(registration(plate) == "5123456", "\(plate)")
        }
        #expect(PlateNormalizer.normalize("ليبيا 5-123456")?.country == "LY")
    }

    @Test func theCountryFieldIsUsedWhenThePlateHasNone() {
        #expect(PlateNormalizer.normalize("5-123456", country: "ly")?.country == "LY")
        #expect(PlateNormalizer.normalize("5-123456", country: "LBY")?.country == "LY")
        #expect(PlateNormalizer.normalize("5-123456")?.country == nil)
        // The word on the plate wins over the field.
        #expect(PlateNormalizer.normalize("123 TUN 4567", country: "LY")?.country == "TN")
    }

    @Test func arabicLettersAndDigitsInEitherOrderAreOnePlate() {
        // Right-to-left letters and left-to-right digits are typed in either order.
        #expect(registration("د ف ه 6153") == registration("6153 د ف ه"))
        #expect(registration("د ف ه 6153") == "دفه6153")
    }

    @Test func arabicLetterVariantsFold() {
        // Alef maqsura and ya, alef with hamza and bare alef, tatweel.
        #expect(registration("ب ص ى 5486") == registration("ب ص ي 5486"))
        #expect(registration("أ ب 12") == registration("ا ب 12"))
        #expect(registration("بـ 12") == registration("ب 12"))
    }

    @Test func differentPlatesStayDifferent() {
        #expect(registration("123 TUN 4567") != registration("124 TUN 4567"))
        #expect(registration("6F-7481-RN") != registration("6F-7481-NR"))
    }

    @Test func nothingIdentifyingIsNoPlate() {
        #expect(PlateNormalizer.normalize("") == nil)
        #expect(PlateNormalizer.normalize(" - . ") == nil)
        #expect(PlateNormalizer.normalize("unknown") == nil)
    }

    @Test func normalisingIsIdempotent() {
        for plate in ["123 TUN 4567", "ليبيا 5-123456", "د ف ه 6153", "6F 7481 RN"] {
            guard let once = registration(plate) else { Issue.record("\(plate)"); continue }
            #expect(registration(once) == once, "\(plate)")
        }
    }
}

@Suite struct IdentifierNormalizationTests {
    @Test func documentCaseIsIgnored() {
        #expect(IdentifierNormalizer.document("a11502008") == "A11502008")
    }

    @Test func documentSpacesAndSeparatorsAreIgnored() {
        for raw in ["119 935 593 536", "119-935-593-536", "119.935.593.536", "119/935/593/536", "119935593536"] {
            #expect(IdentifierNormalizer.document(raw) == "119935593536", "\(raw)")
        }
        #expect(IdentifierNormalizer.document("p 4700 5278") == "P47005278")
        #expect(IdentifierNormalizer.document("N 050 196 893") == "N050196893")
    }

    @Test func documentArabicIndicDigitsAreDigits() {
        #expect(IdentifierNormalizer.document("١١٩٩٣٥٥٩٣٥٣٦") == "119935593536")
    }

    @Test func placeholdersAreNotDocuments() {
        #expect(IdentifierNormalizer.document("") == nil)
        #expect(IdentifierNormalizer.document("N/A") == nil)
        #expect(IdentifierNormalizer.document("unknown") == nil)
    }

    @Test func serialsNormaliseLikeDocuments() {
        #expect(IdentifierNormalizer.serial("rf 0751") == "RF0751")
        #expect(IdentifierNormalizer.serial("31-78048") == IdentifierNormalizer.serial("31 7804 8"))
    }

    @Test func consignmentReferencesNormaliseLikeDocuments() {
        #expect(IdentifierNormalizer.consignment("raj 2026 670 994") == "RAJ2026670994")
        #expect(IdentifierNormalizer.consignment("DHB-2026-972422") == IdentifierNormalizer.consignment("DHB 2026 972 422"))
        #expect(IdentifierNormalizer.consignment("157 4884 2415") == IdentifierNormalizer.consignment("157 488 424 15"))
    }

    @Test func mmsiIsNineDigits() {
        #expect(IdentifierNormalizer.mmsi("642 201 154") == "642201154")
        #expect(IdentifierNormalizer.mmsi("MMSI 642201154") == "642201154")
        #expect(IdentifierNormalizer.mmsi("64220115") == nil)
        #expect(IdentifierNormalizer.mmsi("000000000") == nil)
    }

    @Test func imoIsSevenDigitsWithOrWithoutPrefix() {
        #expect(IdentifierNormalizer.imo("IMO 9545742") == "9545742")
        #expect(IdentifierNormalizer.imo("imo9545742") == "9545742")
        #expect(IdentifierNormalizer.imo("9545742") == "9545742")
        #expect(IdentifierNormalizer.imo("954574") == nil)
    }

    @Test func countriesAreAlpha2() {
        #expect(IdentifierNormalizer.country("ly") == "LY")
        #expect(IdentifierNormalizer.country("TUN") == "TN")
        #expect(IdentifierNormalizer.country("مصر") == "EG")
        #expect(IdentifierNormalizer.country("") == nil)
        #expect(IdentifierNormalizer.country("Libya") == nil)
    }
}

@Suite struct NameNormalizationTests {
    private func same(_ a: String, _ b: String) -> Bool {
        NameNormalizer.canonical(a) == NameNormalizer.canonical(b)
    }

    @Test func mohamedMohammedMuhammad() {
        #expect(same("Mohamed", "Mohammed"))
        #expect(same("Mohamed", "Muhammad"))
        #expect(same("Mohammad", "MUHAMMED"))
    }

    @Test func abdelkaderAbdAlQadir() {
        #expect(same("Abdelkader", "Abd al-Qadir"))
        #expect(same("Abdelkader", "Abdul Qadir"))
        #expect(same("Abdelkader", "Abd el Kader"))
    }

    @Test func assimilatedArticleAfterAbd() {
        #expect(same("Abderrahmane", "Abd ar-Rahman"))
        #expect(same("Abdessalam", "Abd as-Salam"))
        #expect(same("Abdallah", "Abd Allah"))
        #expect(same("Abdullah", "Abdallah"))
    }

    @Test func elAndAlPrefixes() {
        #expect(same("El-Kikli", "Al-Kikli"))
        #expect(same("El Hasnawi", "Al Hasnawi"))
        #expect(same("Al-Zawi", "Zawi"))
        #expect(same("ad-Din", "Din"))
    }

    @Test func abuBenAndBinBindToTheNextWord() {
        #expect(same("Ben Youssef", "Benyoussef"))
        #expect(same("Bin Khalifa", "Benkhalifa"))
        #expect(same("Abu Zaid", "Abuzaid"))
        #expect(same("Abou Zeid", "Abu Zaid"))
    }

    @Test func digraphsAndEquivalentLetters() {
        #expect(same("Khaled", "Khalid"))
        #expect(same("Chokri", "Shukri"))
        #expect(same("Qasim", "Kasim"))
        #expect(same("Belkacem", "Belkasem"))
        #expect(same("Djamel", "Jamal"))
    }

    @Test func finalTaMarbuta() {
        #expect(same("Fatimah", "Fatima"))
        #expect(same("Aishah", "Aisha"))
    }

    @Test func doubledLettersAndVowels() {
        #expect(same("Hassan", "Hasan"))
        #expect(same("Youssef", "Yusuf"))
        #expect(same("Ayoub", "Ayyub"))
        #expect(same("Oussama", "Osama"))
    }

    @Test func accentsAndApostrophesVanish() {
        #expect(same("Zoubéir", "Zoubeir"))
        #expect(same("Ma'ruf", "Maruf"))
    }

    @Test func gStandsForQafOrJim() {
        #expect(NameNormalizer.compatible("Ishag Haroun", "Ishaq Harun"))
        #expect(NameNormalizer.compatible("Gamal Faraj", "Jamal Faraj"))
        #expect(!NameNormalizer.compatible("Kamal Faraj", "Jamal Saleh"))
    }

    @Test func wordOrderIsFree() {
        #expect(same("BENSALEM Mourad", "Mourad Bensalem"))
        #expect(NameNormalizer.compatible("AL-HASNAWI Gamal Faraj", "Jamal Faraj Al-Hasnawi"))
    }

    @Test func compatibleNeedsTwoAgreeingParts() {
        #expect(NameNormalizer.compatible("Hassan Ayoub Al-Zawi", "Hassan Al-Zawi"))
        #expect(NameNormalizer.compatible("Mustafa Belkacem Al-Sharif", "Mustafa Abu al-Qasim Al-Sharif"))
        #expect(!NameNormalizer.compatible("Mohamed Ali", "Mohamed Salah"))
        #expect(NameNormalizer.compatible("Ali", "Ali Hassan"))
        #expect(NameNormalizer.compatible("", "Ali Hassan"))
    }

    @Test func differentNamesStayDifferent() {
        #expect(!same("Ibrahim", "Ismail"))
        #expect(!NameNormalizer.compatible("Fatima Ali", "Aymen Dridi"))
    }
}

@Suite struct GeoTests {
    @Test func haversineDistances() {
        // One degree of latitude.
        #expect(abs(Geo.distanceKm(lat1: 0, lon1: 0, lat2: 1, lon2: 0) - 111.195) < 0.01)
        #expect(Geo.distanceKm(lat1: 32.9, lon1: 13.2, lat2: 32.9, lon2: 13.2) == 0)
        // Tripoli to Benghazi: 650.3 km on the mean sphere.
        let d = Geo.distanceKm(lat1: 32.8872, lon1: 13.1913, lat2: 32.1167, lon2: 20.0667)
        #expect(abs(d - 650.31) < 0.01)
        // Symmetric, and across the antimeridian it is the short way round.
        #expect(Geo.distanceKm(lat1: 10, lon1: 20, lat2: 11, lon2: 21) == Geo.distanceKm(lat1: 11, lon1: 21, lat2: 10, lon2: 20))
        #expect(Geo.distanceKm(lat1: 0, lon1: 179.99, lat2: 0, lon2: -179.99) < 3)
    }

    /// The spatial index must find every report within the radius, wherever the grid cells
    /// fall: here 2.9 km around points on a cell edge, at the antimeridian and near a pole.
    @Test(arguments: [(33.15, 11.56), (0.0, 179.999), (-45.0, -0.001), (89.99, 10.0), (-89.5, -179.9)])
    func proximityFindsEveryReportWithinTheRadius(lat: Double, lon: Double) {
        for bearing in stride(from: 0.0, to: 360.0, by: 30.0) {
            let radians: Double = bearing * Double.pi / 180
            let cosLat: Double = max(cos(lat * Double.pi / 180), 1e-9)
            let dLat: Double = 2.9 / 111.195 * cos(radians)
            let dLon: Double = 2.9 / (111.195 * cosLat) * sin(radians)
            var pointLat = max(-90, min(90, lat + dLat)), pointLon = lon + dLon
            if pointLon > 180 { pointLon -= 360 }
            if pointLon < -180 { pointLon += 360 }
            // Near a pole the flat offset overshoots; only points truly within 3 km count.
            let distance = Geo.distanceKm(lat1: lat, lon1: lon, lat2: pointLat, lon2: pointLon)
            guard distance < 3 else { continue }
            pointLat = min(90, pointLat)
            let a = makeAlert("a", category: .irregularMigration, lat: lat, lon: lon)
            let b = makeAlert("b", origin: "migration", minutes: 1, category: .irregularMigration, lat: pointLat, lon: pointLon)
            #expect(Feeder.joins(a, b), "\(lat),\(lon) bearing \(bearing): \(distance) km")
        }
    }
}
