import Foundation

/// Great-circle distances and the grid that the spatial index is built on.
public enum Geo {
    /// Mean Earth radius (IUGG), km.
    public static let earthRadiusKm = 6371.0088
    /// Length of one degree of latitude, km.
    static let kmPerDegree = earthRadiusKm * Double.pi / 180

    /// Haversine distance in km between two WGS 84 points given in degrees.
    public static func distanceKm(lat1: Double, lon1: Double, lat2: Double, lon2: Double) -> Double {
        let radians = Double.pi / 180
        let dLat = (lat2 - lat1) * radians
        let dLon = (lon2 - lon1) * radians
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * radians) * cos(lat2 * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * earthRadiusKm * asin(min(1, h.squareRoot()))
    }

}

/// A grid of square cells (in degrees) over the globe: the spatial half of the
/// spatial-temporal index. 360° is a whole number of cells, so longitude wraps exactly.
struct GeoGrid: Sendable, Equatable {
    let cellDegrees: Double
    let lonCells: Int64

    /// Cells of at most `cellKm` along a meridian.
    init(cellKm: Double) {
        let wanted = max(cellKm, 0.01) / Geo.kmPerDegree
        lonCells = Int64(max(1, (360 / wanted).rounded(.up)))
        cellDegrees = 360 / Double(lonCells)
    }

    func cell(lat: Double, lon: Double) -> GeoCell {
        GeoCell(lat: Int32(clamping: index(lat)), lon: Int32(clamping: wrap(index(lon + 180))))
    }

    /// Every cell that may hold a point within `radiusKm` of (lat, lon). Longitude
    /// degrees shrink towards the poles, so more cells are scanned there.
    func forEachCell(lat: Double, lon: Double, radiusKm: Double, _ body: (GeoCell) -> Void) {
        let dLat = radiusKm / Geo.kmPerDegree
        let cosLat = max(cos(lat * Double.pi / 180), 1e-9)
        let dLon = min(radiusKm / (Geo.kmPerDegree * cosLat), 180)
        let latRange = index(lat - dLat)...index(lat + dLat)
        var lonRange = index(lon + 180 - dLon)...index(lon + 180 + dLon)
        if Int64(lonRange.count) >= lonCells { lonRange = 0...(lonCells - 1) }
        for latCell in latRange {
            for lonCell in lonRange {
                body(GeoCell(lat: Int32(clamping: latCell), lon: Int32(clamping: wrap(lonCell))))
            }
        }
    }

    private func index(_ degrees: Double) -> Int64 {
        Int64((degrees / cellDegrees).rounded(.down))
    }

    private func wrap(_ cell: Int64) -> Int64 {
        let value = cell % lonCells
        return value < 0 ? value + lonCells : value
    }
}

struct GeoCell: Hashable, Sendable {
    var lat: Int32
    var lon: Int32
}
