import DNALCore
import Foundation

/// How to read an image folder (`--data DIR` with `DIR/train/CLASS/*` and `DIR/val/CLASS/*` or
/// `DIR/test/CLASS/*`): the network's input size, the training crop's scale range, and whether
/// unreadable images stop the run (the default) or are skipped and counted.
public struct ImageFolderOptions: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    public var cropScale: Double
    public var skipUnreadable: Bool

    public init(channels: Int, height: Int, width: Int, cropScale: Double = 0.08, skipUnreadable: Bool = false) {
        (self.channels, self.height, self.width) = (channels, height, width)
        (self.cropScale, self.skipUnreadable) = (cropScale, skipUnreadable)
    }
}

/// The images of one split of a folder, decoded on demand: each file's label, and the decoded
/// images themselves when they fit in memory (`ImageFolderReader` decides), so that later
/// epochs only crop and resize.
public final class ImageFolderSplit: @unchecked Sendable {
    public let files: [String]
    public let transform: ImageTransform
    /// Decoded images, index for index with `files`, or nil: decode every time.
    let decoded: [DecodedImage]?

    init(files: [String], transform: ImageTransform, decoded: [DecodedImage]?) {
        (self.files, self.transform, self.decoded) = (files, transform, decoded)
    }

    /// The decoded image `i`.
    func image(_ i: Int) throws -> DecodedImage {
        if let decoded { return decoded[i] }
        return try transform.decode(file: files[i])
    }

    /// The first `n` files.
    func prefix(_ n: Int) -> ImageFolderSplit {
        ImageFolderSplit(files: Array(files.prefix(n)), transform: transform, decoded: decoded.map { Array($0.prefix(n)) })
    }
}

/// Reads the layout ImageNet and torchvision's ImageFolder use: `DIR/train/CLASS/IMAGE` and
/// `DIR/val/CLASS/IMAGE` (or `test/`), JPEG or PNG, classes numbered in sorted name order.
public enum ImageFolderReader {
    /// Whether `directory` has this layout (a `train` folder with subfolders).
    public static func recognises(_ directory: String) -> Bool {
        let train = (directory as NSString).appendingPathComponent("train")
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: train) else { return false }
        return entries.contains { isDirectory((train as NSString).appendingPathComponent($0)) && !$0.hasPrefix(".") }
    }

    /// Decoded images are kept in memory up to this many bytes in all.
    static let cacheBytes = 4 << 30

    public static func read(directory: String, options: ImageFolderOptions) throws -> DataSplits {
        let train = (directory as NSString).appendingPathComponent("train")
        let evalName = ["val", "test"].first { isDirectory((directory as NSString).appendingPathComponent($0)) }
        guard let evalName else { throw DataError("\(directory): has train/ but neither val/ nor test/ (the evaluation split)") }
        let eval = (directory as NSString).appendingPathComponent(evalName)
        let classes = try classFolders(train)
        guard !classes.isEmpty else { throw DataError("\(train): no class folders (expected train/CLASS/IMAGE files)") }
        guard classes.count <= 65536 else { throw DataError("\(train): \(classes.count) classes; dnalc reads at most 65,536") }
        let evalClasses = try classFolders(eval)
        guard evalClasses == classes else {
            let missing = classes.filter { !evalClasses.contains($0) }, extra = evalClasses.filter { !classes.contains($0) }
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\(evalName)/ lacks \(list(missing))") }
            if !extra.isEmpty { parts.append("\(evalName)/ has \(list(extra)), which train/ lacks") }
            throw DataError("\(directory): the classes of train/ and \(evalName)/ differ: \(parts.joined(separator: "; "))")
        }
        let transform = ImageTransform(channels: options.channels, height: options.height, width: options.width, cropScale: options.cropScale)
        try transform.checkChannels()
        var skipped = 0
        func split(_ root: String) throws -> Dataset {
            var files: [String] = [], labels: [UInt16] = []
            for (label, cls) in classes.enumerated() {
                let folder = (root as NSString).appendingPathComponent(cls)
                let images = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
                    .map { (folder as NSString).appendingPathComponent($0) }.filter { !isDirectory($0) }
                guard !images.isEmpty else { throw DataError("\(folder): an empty class (no image files)") }
                files += images
                labels += [UInt16](repeating: UInt16(label), count: images.count)
            }
            // a fixed shuffle, so that train_limit/test_limit prefixes mix the classes
            var order = Array(files.indices), rng = SeededRandom(seed: 0x1F01DE5)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            files = order.map { files[$0] }
            labels = order.map { labels[$0] }
            let (decoded, bad) = decodeAll(files, transform: transform, budget: cacheBytes)
            if let first = bad.first, !options.skipUnreadable {
                throw DataError("\(first.message)\(bad.count > 1 ? " (and \(bad.count - 1) more unreadable images; --set bad_images=skip skips them)" : " (--set bad_images=skip skips unreadable images)")")
            }
            let badIndices = Set(bad.map(\.index))
            skipped += bad.count
            let keep = files.indices.filter { !badIndices.contains($0) }
            guard !keep.isEmpty else { throw DataError("\(root): no readable images") }
            let folderSplit = ImageFolderSplit(files: keep.map { files[$0] }, transform: transform, decoded: decoded)
            var d = Dataset(name: "imagefolder", channels: options.channels, height: options.height, width: options.width,
                            classes: classes.count, images: [], labels: keep.map { labels[$0] })
            d.folder = folderSplit
            return d
        }
        let trainSet = try split(train), evalSet = try split(eval)
        var source = "image folder \(directory) (\(classes.count) classes; \(trainSet.count) training and \(evalSet.count) \(evalName) images"
        source += skipped > 0 ? "; \(skipped) unreadable images skipped)" : ")"
        var splits = DataSplits(train: trainSet, test: evalSet, source: source)
        splits.classNames = classes
        return splits
    }

    /// Every file decoded once, in parallel, so that an unreadable one is named before training
    /// starts; the decoded images are kept while they fit in `budget` bytes (else nil: the split
    /// decodes per batch).
    static func decodeAll(_ files: [String], transform: ImageTransform, budget: Int) -> ([DecodedImage]?, [(index: Int, message: String)]) {
        var decoded = [DecodedImage?](repeating: nil, count: files.count)
        var errors = [String?](repeating: nil, count: files.count)
        let lock = NSLock()
        nonisolated(unsafe) var kept = 0, keeping = true  // under `lock`
        let chunk = 64
        decoded.withUnsafeMutableBufferPointer { out in
            errors.withUnsafeMutableBufferPointer { err in
                nonisolated(unsafe) let (o, e) = (out, err)  // each index is written by one iteration only
                DispatchQueue.concurrentPerform(iterations: (files.count + chunk - 1) / chunk) { c in
                    for i in (c * chunk)..<min((c + 1) * chunk, files.count) {
                        do {
                            let image = try transform.decode(file: files[i])
                            lock.lock()
                            kept += image.pixels.count
                            if keeping && kept <= budget { o[i] = image } else { keeping = false }
                            lock.unlock()
                        } catch {
                            e[i] = (error as? DataError)?.message ?? "\(files[i]): \(error)"
                        }
                    }
                }
            }
        }
        let bad = errors.enumerated().compactMap { i, m in m.map { (index: i, message: $0) } }
        guard keeping else { return (nil, bad) }
        let badSet = Set(bad.map(\.index))
        return (decoded.indices.filter { !badSet.contains($0) }.map { decoded[$0]! }, bad)
    }

    static func classFolders(_ path: String) throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw DataError("\(path): cannot read the folder") }
        return entries.filter { !$0.hasPrefix(".") && isDirectory((path as NSString).appendingPathComponent($0)) }.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    static func list(_ names: [String]) -> String {
        names.count <= 5 ? names.joined(separator: ", ") : names.prefix(5).joined(separator: ", ") + " and \(names.count - 5) more"
    }
}
