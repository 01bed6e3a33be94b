import DNALCore
import Foundation

/// Standard training augmentation: a random crop of the image padded with `cropPadding` zeros
/// on each side, and a random horizontal flip.
public struct Augmentation: Sendable, Equatable {
    public var cropPadding: Int
    public var horizontalFlip: Bool
    public init(cropPadding: Int, horizontalFlip: Bool) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }
    public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)
    /// What `choice` means for `dataset`: `auto` is `standard(for:)`; a crop pads as `standard` does.
    public init(_ choice: AugmentChoice, for dataset: Dataset) {
        let standard = Augmentation.standard(for: dataset)
        switch choice {
        case .auto: self = standard
        case .none: self = .none
        case .crop: self = Augmentation(cropPadding: standard.cropPadding, horizontalFlip: false)
        case .cropFlip: self = Augmentation(cropPadding: standard.cropPadding, horizontalFlip: true)
        }
    }
    /// What suits a data set: CIFAR-10 crop 4 and flip; Fashion-MNIST crop 2 and flip; other
    /// MNIST-family sets (digits: a flip changes their meaning) crop 2 only.
    public static func standard(for dataset: Dataset) -> Augmentation {
        if dataset.name == "cifar10" { return Augmentation(cropPadding: 4, horizontalFlip: true) }
        return Augmentation(cropPadding: 2, horizontalFlip: dataset.name.hasPrefix("fashion"))
    }
}

/// Per-channel normalisation of [0, 1] pixels: (x - mean) / std.
public struct Normalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Mean and standard deviation per channel over the data set (an image folder: over the
    /// evaluation view of up to 2,000 of its images, spread over the split).
    public static func compute(from d: Dataset) -> Normalization {
        if let folder = d.folder {
            let n = min(d.count, 2000), step = max(d.count / max(n, 1), 1)
            var sample = Dataset(name: d.name, channels: d.channels, height: d.height, width: d.width, classes: d.classes,
                                 images: [UInt8](repeating: 0, count: n * d.sampleBytes), labels: [UInt16](repeating: 0, count: n))
            sample.images.withUnsafeMutableBufferPointer { out in
                for k in 0..<n {
                    var none: SeededRandom? = nil
                    if let image = try? folder.image(k * step) {
                        folder.transform.apply(image, random: &none, flip: false, into: out.baseAddress! + k * d.sampleBytes)
                    }
                }
            }
            return compute(from: sample)
        }
        var sum = [Double](repeating: 0, count: d.channels), squares = sum
        let plane = d.height * d.width
        for i in 0..<d.count {
            for c in 0..<d.channels {
                let base = i * d.sampleBytes + c * plane
                for p in 0..<plane {
                    let v = Double(d.images[base + p]) / 255
                    sum[c] += v
                    squares[c] += v * v
                }
            }
        }
        let n = Double(max(d.count * plane, 1))
        let mean = sum.map { $0 / n }
        let std = zip(squares, mean).map { max(($0 / n - $1 * $1).squareRoot(), 1e-3) }
        return Normalization(mean: mean.map(Float.init), std: std.map(Float.init))
    }
}

/// Turns a data set into batches: a seeded shuffle per epoch, augmentation and normalisation,
/// written as NCHW floats (the layout `Executor.setInput(chw:batch:)` takes).
public struct BatchSource: Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    public let augmentation: Augmentation
    public let normalization: Normalization
    public let seed: UInt64

    public init(dataset: Dataset, batchSize: Int, augmentation: Augmentation, normalization: Normalization, seed: UInt64) {
        self.dataset = dataset
        self.batchSize = batchSize
        self.augmentation = augmentation
        self.normalization = normalization
        self.seed = seed
    }

    /// Batches per epoch (the last one may be smaller).
    public var batchesPerEpoch: Int { (dataset.count + batchSize - 1) / batchSize }

    /// The sample order of `epoch`: a permutation that depends only on the seed and the epoch
    /// (so a run resumed at an epoch boundary sees the same order), or 0..<count if `shuffle` is off.
    public func order(epoch: Int, shuffle: Bool = true) -> [Int] {
        var order = Array(0..<dataset.count)
        guard shuffle else { return order }
        var rng = SeededRandom(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return order
    }

    /// Writes batch `index` of an epoch's `order` into `images` (NCHW) and `labels`; returns its size.
    /// Augmentation draws from a generator seeded by (seed, epoch, index) when `augment` is set.
    public func fill(order: [Int], index: Int, epoch: Int, augment: Bool, images: UnsafeMutablePointer<Float>,
                     labels: UnsafeMutablePointer<Int32>) throws -> Int {
        let start = index * batchSize
        let n = min(batchSize, order.count - start)
        let d = dataset
        var rng = SeededRandom(seed: seed ^ (UInt64(epoch) << 32) ^ UInt64(index) &* 0xBF58_476D)
        let pad = augment ? augmentation.cropPadding : 0
        // the draws first, in sample order, so that they do not depend on how decoding is split
        var draws: [(dy: Int, dx: Int, flip: Bool)] = []
        for k in 0..<n {
            labels[k] = Int32(d.labels[order[start + k]])
            let dy = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            let dx = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            draws.append((dy, dx, augment && augmentation.horizontalFlip && rng.next() & 1 == 1))
        }
        guard let folder = d.folder else {
            d.images.withUnsafeBufferPointer { pixels in
                for k in 0..<n {
                    write(pixels.baseAddress! + order[start + k] * d.sampleBytes, draws[k], into: images + k * d.sampleBytes)
                }
            }
            return n
        }
        // an image folder: decode (or take the decoded image), crop and resize on the worker pool
        nonisolated(unsafe) let out = images
        nonisolated(unsafe) var failure: Error?
        let lock = NSLock()
        let frozenDraws = draws
        // a large image trains on a random resized crop unless augmentation is off
        let cropsAtRandom = augment && augmentation != .none
        let base = seed ^ (UInt64(epoch) << 32) ^ UInt64(index) &* 0x94D0_49BB
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: n * d.sampleBytes)
        defer { scratch.deallocate() }
        nonisolated(unsafe) let planes = scratch  // image k writes only its own slice
        DispatchQueue.concurrentPerform(iterations: n) { k in
            let sample = order[start + k]
            let bytes = planes + k * d.sampleBytes
            do {
                let image = try folder.image(sample)
                let small = folder.transform.isSmall(image)
                var random: SeededRandom? = cropsAtRandom && !small ? SeededRandom(seed: base &+ UInt64(k) &* 0x2545_F491) : nil
                // a large image's random resized crop flips by its own draw; a small one crops and flips as in memory
                let flip = random != nil ? frozenDraws[k].flip : false
                folder.transform.apply(image, random: &random, flip: flip, into: bytes)
                write(bytes, small ? frozenDraws[k] : (0, 0, false), into: out + k * d.sampleBytes)
            } catch {
                lock.lock()
                failure = failure ?? error
                lock.unlock()
            }
        }
        if let failure { throw failure }
        return n
    }

    /// One sample's planar bytes, shifted by (dy, dx) with zero fill and optionally mirrored,
    /// normalised into `dst`.
    func write(_ src: UnsafePointer<UInt8>, _ draw: (dy: Int, dx: Int, flip: Bool), into dst: UnsafeMutablePointer<Float>) {
        let d = dataset, plane = d.height * d.width
        for c in 0..<d.channels {
            let from = src + c * plane, to = dst + c * plane
            let m = normalization.mean[c], s = 1 / normalization.std[c]
            let zero = (0 - m) * s
            for y in 0..<d.height {
                let sy = y + draw.dy
                for x in 0..<d.width {
                    let sx = draw.flip ? d.width - 1 - (x + draw.dx) : x + draw.dx
                    if sy < 0 || sy >= d.height || sx < 0 || sx >= d.width {
                        to[y * d.width + x] = zero
                    } else {
                        to[y * d.width + x] = (Float(from[sy * d.width + sx]) / 255 - m) * s
                    }
                }
            }
        }
    }
}
