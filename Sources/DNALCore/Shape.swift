/// The shape of one sample's tensor, batch dimension excluded.
///
/// Feature maps are `[C, H, W]`; feature vectors (after `flatten` or `linear`) are `[F]`.
/// Every dimension is at least 1.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    /// The dimensions, outermost first.
    public let dims: [Int]

    /// A feature map of `channels x height x width`.
    public init(channels: Int, height: Int, width: Int) {
        dims = [channels, height, width]
    }

    /// A feature vector of `features` elements.
    public init(features: Int) {
        dims = [features]
    }

    /// A shape from raw dimensions (rank 1 or 3).
    public init(_ dims: [Int]) {
        precondition(dims.count == 1 || dims.count == 3, "Shape rank must be 1 or 3")
        self.dims = dims
    }

    /// True for `[C, H, W]`, false for `[F]`.
    public var isFeatureMap: Bool { dims.count == 3 }
    /// Channels of a feature map, or features of a vector.
    public var channels: Int { dims[0] }
    /// Height of a feature map; 1 for a vector.
    public var height: Int { isFeatureMap ? dims[1] : 1 }
    /// Width of a feature map; 1 for a vector.
    public var width: Int { isFeatureMap ? dims[2] : 1 }
    /// Number of elements per sample.
    public var elementCount: Int { dims.reduce(1, *) }
    /// Elements per channel (H x W); 1 for a vector.
    public var spatialCount: Int { height * width }

    /// `[C,H,W]` or `[F]`, the spelling used in dumps, tables and diagnostics.
    public var description: String { "[" + dims.map(String.init).joined(separator: ",") + "]" }
}
