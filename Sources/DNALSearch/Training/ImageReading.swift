import DNALCore
import DNALData

/// How a run reads an image folder (`--set crop_scale=...`, `--set bad_images=...`); settings of
/// a run rather than of a network, like train_limit. Other data sets ignore them.
public struct ImageReading: Codable, Equatable, Sendable {
    /// The smallest area fraction a training crop takes (random resized crop: cropScale...1).
    public var cropScale = 0.08
    /// Skip and count images that cannot be decoded instead of stopping (`bad_images=skip`).
    public var skipUnreadable = false

    public init() {}

    /// Keys `--set` takes for it.
    public static let keys = ["crop_scale", "bad_images"]

    /// Applies `key=value` for one of `keys`.
    mutating func set(_ key: String, _ value: String) throws(SearchError) {
        switch key {
        case "crop_scale":
            let v = try SettingValue.number(key, value)
            guard v > 0 && v <= 1 else { throw SearchError("crop_scale must be in (0, 1], got \(value)") }
            cropScale = v
        default:
            switch value {
            case "error": skipUnreadable = false
            case "skip": skipUnreadable = true
            default: throw SearchError("'bad_images' takes error or skip, got '\(value)'")
            }
        }
    }

    /// The folder options for a network taking `shape` images.
    public func options(for shape: Shape) -> ImageFolderOptions {
        ImageFolderOptions(channels: shape.channels, height: shape.height, width: shape.width, cropScale: cropScale,
                           skipUnreadable: skipUnreadable)
    }
}
