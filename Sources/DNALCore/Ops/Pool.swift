/// Max or average pooling over square windows (no ceil mode; average excludes nothing).
public struct Pool: Hashable, Sendable {
    /// Which reduction the window applies.
    public enum Kind: String, Hashable, Sendable { case max, avg }
    public var kind: Kind
    /// Square window side.
    public var kernel: Int
    /// Stride in both directions.
    public var stride: Int
    /// Padding on each side (max pooling pads with -inf, average with zeros counted in the divisor).
    public var padding: Int

    public init(kind: Kind, kernel: Int, stride: Int, padding: Int = 0) {
        self.kind = kind
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }
}
