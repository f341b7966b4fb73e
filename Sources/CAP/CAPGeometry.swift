/// CAP `<polygon>` and `<circle>` reduced to the one point an IBM alert's location holds.
enum CAPGeometry {
    struct Point: Equatable {
        var lat: Double
        var lon: Double
    }

    /// A plain decimal number (`-12.5`, `3`); not `nan`, `inf`, hex or exponent forms, which Double(String) would take.
    static func decimal(_ text: some StringProtocol) -> Double? {
        var digits = 0
        var dots = 0
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): dots += 1
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if offset != 0 { return nil }
            default: return nil
            }
        }
        guard digits > 0, digits <= 40, dots <= 1 else { return nil }
        return Double(String(text))
    }

    /// `lat,lon` in WGS 84 degrees, range-checked.
    static func point(_ text: some StringProtocol) throws(GeometryError) -> Point {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let lat = decimal(parts[0]), let lon = decimal(parts[1]) else {
            throw GeometryError("\"\(text.prefix(48))\" is not a point written lat,lon (e.g. 32.01,10.70)")
        }
        guard (-90...90).contains(lat) else { throw GeometryError("latitude \(lat) is out of range [-90, 90]") }
        guard (-180...180).contains(lon) else { throw GeometryError("longitude \(lon) is out of range [-180, 180]") }
        return Point(lat: lat, lon: lon)
    }

    static func tokens(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
    }

    /// The centre of `lat,lon radius` (radius in km, ≥ 0).
    static func circleCentre(_ text: String) throws(GeometryError) -> Point {
        let parts = tokens(text)
        guard parts.count == 2 else {
            throw GeometryError("a circle is written \"lat,lon radius\" (radius in km), not \"\(text.prefix(48))\"")
        }
        let centre = try point(parts[0])
        guard let radius = decimal(parts[1]), radius >= 0 else {
            throw GeometryError("the radius \"\(parts[1].prefix(24))\" is not a number of km ≥ 0")
        }
        return rounded(centre)
    }

    /// The area centroid of a closed ring of at least four `lat,lon` points, the first equal to the last.
    ///
    /// Computed in the plane of (lon, lat), which for the few-km areas of border alerts is within
    /// metres of the spherical centroid; a ring with no area, or a self-intersecting one whose
    /// centroid falls outside its bounds, gives the mean of its points.
    static func polygonCentroid(_ text: String) throws(GeometryError) -> Point {
        var points: [Point] = []
        for token in tokens(text) { points.append(try point(token)) }
        guard points.count >= 4 else {
            throw GeometryError("a polygon needs at least 4 points (the first repeated at the end), it has \(points.count)")
        }
        guard points[0] == points[points.count - 1] else {
            throw GeometryError("a polygon must be closed: its last point must equal its first")
        }
        var twiceArea = 0.0
        var sumLat = 0.0
        var sumLon = 0.0
        for index in 0..<(points.count - 1) {
            let a = points[index]
            let b = points[index + 1]
            let cross = a.lon * b.lat - b.lon * a.lat
            twiceArea += cross
            sumLon += (a.lon + b.lon) * cross
            sumLat += (a.lat + b.lat) * cross
        }
        let ring = points.dropLast()
        let mean = Point(lat: ring.reduce(0) { $0 + $1.lat } / Double(ring.count), lon: ring.reduce(0) { $0 + $1.lon } / Double(ring.count))
        guard abs(twiceArea) >= 1e-12 else { return rounded(mean) }
        let centroid = Point(lat: sumLat / (3 * twiceArea), lon: sumLon / (3 * twiceArea))
        // A self-intersecting ring can put the signed-area centroid anywhere, even outside the shape's
        // bounds; then the mean of its points is the better single point.
        let lats = ring.map(\.lat)
        let lons = ring.map(\.lon)
        guard let south = lats.min(), let north = lats.max(), let west = lons.min(), let east = lons.max(),
              (south...north).contains(centroid.lat), (west...east).contains(centroid.lon)
        else { return rounded(mean) }
        return rounded(centroid)
    }

    /// To 1e-7 degrees (about 1 cm), so export and import again give the same numbers.
    static func rounded(_ point: Point) -> Point {
        Point(lat: (point.lat * 1e7).rounded() / 1e7, lon: (point.lon * 1e7).rounded() / 1e7)
    }

    /// Decimal text without an exponent, which CAP's `lat,lon` form does not allow.
    static func text(_ value: Double) -> String {
        let shortest = "\(value)"
        guard shortest.contains("e") else { return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest }
        // Only tiny magnitudes reach here (|value| < 1e-4 for degrees): write them to 1e-9.
        let scaled = Int64((abs(value) * 1e9).rounded())
        var fraction = String(scaled % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let whole = (value < 0 && scaled > 0 ? "-" : "") + String(scaled / 1_000_000_000)
        return fraction.isEmpty ? whole : whole + "." + fraction
    }
}

struct GeometryError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
