/// A token bucket on the hub's clock (Unix milliseconds): `burst` tokens, refilled at
/// `perSecond`. Each request takes one; when none is left it says how long to wait.
struct TokenBucket: Sendable, Equatable {
    let limit: HubConfiguration.RateLimit
    private var tokens: Double
    private var updatedAt: Int64

    init(_ limit: HubConfiguration.RateLimit, now: Int64) {
        self.limit = limit
        tokens = limit.burst
        updatedAt = now
    }

    /// Takes a token: 0 if one was available, else the milliseconds until one will be (≥ 1).
    mutating func take(now: Int64) -> Int64 {
        // A clock step backwards refills nothing rather than draining the bucket.
        let elapsed = Double(max(0, now - updatedAt)) / 1000
        tokens = min(limit.burst, tokens + elapsed * limit.perSecond)
        updatedAt = max(updatedAt, now)
        if tokens >= 1 {
            tokens -= 1
            return 0
        }
        return max(1, Int64(((1 - tokens) / limit.perSecond * 1000).rounded(.up)))
    }
}
