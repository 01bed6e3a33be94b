/// Images and labels in memory: `images` holds `count` samples of `channels x height x width`
/// bytes each, in C, H, W order (planar, as CIFAR-10 and PyTorch store them).
public struct Dataset: Sendable {
    public var name: String
    public var channels: Int, height: Int, width: Int
    public var classes: Int
    public var images: [UInt8]
    public var labels: [UInt8]

    public init(name: String, channels: Int, height: Int, width: Int, classes: Int, images: [UInt8], labels: [UInt8]) {
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
        self.images = images
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var sampleBytes: Int { channels * height * width }

    /// The first `n` samples (all if there are fewer).
    public func prefix(_ n: Int) -> Dataset {
        let k = min(n, count)
        return Dataset(name: name, channels: channels, height: height, width: width, classes: classes,
                       images: Array(images[0..<(k * sampleBytes)]), labels: Array(labels[0..<k]))
    }
}

/// A data set's training and test splits.
public struct DataSplits: Sendable {
    public var train: Dataset
    public var test: Dataset
    /// Where it was read from (a directory, or "bundled Fashion-MNIST subset").
    public var source: String
}
