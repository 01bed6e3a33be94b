/// Images and labels in memory: `images` holds `count` samples of `channels x height x width`
/// bytes each, in C, H, W order (planar, as CIFAR-10 and PyTorch store them).
public struct Dataset: Sendable {
    public var name: String
    public var channels: Int, height: Int, width: Int
    public var classes: Int
    public var images: [UInt8]
    /// Class indices, below `classes` (16 bits: ImageNet has 1,000 classes).
    public var labels: [UInt16]
    /// For an image folder: the files, decoded on demand (`images` is then empty).
    public var folder: ImageFolderSplit?

    public init(name: String, channels: Int, height: Int, width: Int, classes: Int, images: [UInt8], labels: [UInt16]) {
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
        self.images = images
        self.labels = labels
    }

    /// With byte labels, as IDX and CIFAR-10 files store them.
    public init(name: String, channels: Int, height: Int, width: Int, classes: Int, images: [UInt8], labels: [UInt8]) {
        self.init(name: name, channels: channels, height: height, width: width, classes: classes, images: images,
                  labels: labels.map(UInt16.init))
    }

    public var count: Int { labels.count }
    public var sampleBytes: Int { channels * height * width }

    /// The first `n` samples (all if there are fewer).
    public func prefix(_ n: Int) -> Dataset {
        let k = min(n, count)
        var d = Dataset(name: name, channels: channels, height: height, width: width, classes: classes,
                        images: folder == nil ? Array(images[0..<(k * sampleBytes)]) : [], labels: Array(labels[0..<k]))
        d.folder = folder?.prefix(k)
        return d
    }
}

/// A data set's training and test splits.
public struct DataSplits: Sendable {
    public var train: Dataset
    public var test: Dataset
    /// Where it was read from (a directory, or "bundled Fashion-MNIST subset").
    public var source: String
    /// The class names, label by label, when the data names them (image folders).
    public var classNames: [String]?

    public init(train: Dataset, test: Dataset, source: String) {
        (self.train, self.test, self.source) = (train, test, source)
    }
}
