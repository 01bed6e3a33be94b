import Foundation

/// The input normalisation travels with the weights: a network trained on inputs normalised by
/// one mean and std computes something else on inputs normalised by another, so every weights
/// file dnalc writes records the one it was trained with, and `eval`/`prune` read it back.
extension Normalization {
    /// The safetensors metadata key.
    public static let metadataKey = "dnalc.normalization"

    /// `[metadataKey: json]`.
    public var metadata: [String: String] { [Self.metadataKey: json] }

    /// `{"mean": [...], "std": [...]}`, as weights files record it and `export --pytorch` writes it.
    public var json: String {
        "{\"mean\": [\(mean.map { "\($0)" }.joined(separator: ", "))], \"std\": [\(std.map { "\($0)" }.joined(separator: ", "))]}"
    }

    /// The normalisation recorded in a weights file's metadata: nil when there is none;
    /// throws when the entry is there but damaged (non-finite, non-positive std, lengths differ).
    public init?(metadata: [String: String], source: String) throws {
        guard let text = metadata[Self.metadataKey] else { return nil }
        struct Entry: Decodable { var mean: [Float]; var std: [Float] }
        guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(text.utf8)),
              entry.mean.count == entry.std.count, !entry.mean.isEmpty,
              entry.mean.allSatisfy({ $0.isFinite }), entry.std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataError("\(source): its '\(Self.metadataKey)' metadata is damaged: \(text.prefix(120))")
        }
        self.init(mean: entry.mean, std: entry.std)
    }
}
