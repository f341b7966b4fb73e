import SwiftProtobuf

/// A request as a hub ROUTER socket receives it: `[routing id][payload]`, or
/// `[routing id][empty][payload]` from a REQ client.
public struct RoutedRequest: Sendable {
    /// The frames to put back in front of a reply.
    public let envelope: [[UInt8]]
    public let payload: [UInt8]

    /// Nil when the message has another shape or an empty routing id.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 2 || (frames.count == 3 && frames[1].isEmpty), !frames[0].isEmpty else { return nil }
        envelope = Array(frames.dropLast())
        payload = frames[frames.count - 1]
    }
}

/// The hub's decoders for request payloads, shared by the hub and its fuzz targets.
public enum RequestDecoding {
    /// An ingest request nests an alert and its subjects; deeper nesting is hostile.
    public static let ingestOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 16
        options.discardUnknownFields = true
        return options
    }()

    public static let syncOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 8
        options.discardUnknownFields = true
        return options
    }()

    public static func ingestRequest(_ payload: [UInt8]) throws -> Ibm_V1_IngestRequest {
        try Ibm_V1_IngestRequest(serializedBytes: payload, options: ingestOptions)
    }

    public static func syncRequest(_ payload: [UInt8]) throws -> Ibm_V1_SyncRequest {
        try Ibm_V1_SyncRequest(serializedBytes: payload, options: syncOptions)
    }
}
