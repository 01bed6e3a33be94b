import DNALCore
import DNALTestSupport
import Foundation
import Testing
@testable import DNALData

/// Image folders built from the bundled Fashion-MNIST images, written as PNG files.
@Suite("Image folders")
struct ImageFolderTests {
    static let bundled = try! DatasetLoader.bundled()

    func temporary() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-folder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `count` images of each split, as `ROOT/SPLIT/class-N/INDEX.png`.
    func makeFolder(_ root: String, train: Int = 60, test: Int = 20, evalName: String = "val") throws {
        for (split, d, count) in [("train", Self.bundled.train, train), (evalName, Self.bundled.test, test)] {
            for i in 0..<count {
                let dir = "\(root)/\(split)/class-\(d.labels[i])"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try PNGWriter.write("\(dir)/\(i).png", width: 28, height: 28, channels: 1,
                                    pixels: Array(d.images[(i * 784)..<((i + 1) * 784)]))
            }
        }
    }

    let options = ImageFolderOptions(channels: 1, height: 28, width: 28)

    @Test func readsTheLayoutAndBatchesAsTheSameImagesFromIDX() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // every class present in both splits
        var train = 0, test = 0
        while Set(Self.bundled.train.labels.prefix(train)).count < 10 { train += 1 }
        while Set(Self.bundled.test.labels.prefix(test)).count < 10 { test += 1 }
        try makeFolder(root, train: max(train, 60), test: max(test, 20))
        let splits = try DatasetLoader.load(directory: root, images: options)
        #expect(splits.classNames == (0..<10).map { "class-\($0)" })
        #expect(splits.train.count == max(train, 60) && splits.test.count == max(test, 20))
        #expect(splits.source.contains("10 classes; \(splits.train.count) training and \(splits.test.count) val images"))
        // file i.png holds bundled image i: batches match the IDX data's, draw for draw
        let files = try #require(splits.train.folder?.files)
        let indices = files.map { Int(($0 as NSString).lastPathComponent.dropLast(4))! }
        #expect(splits.train.labels == indices.map { Self.bundled.train.labels[$0] })
        let norm = Normalization.compute(from: Self.bundled.train)
        let folderSource = BatchSource(dataset: splits.train, batchSize: 16, augmentation: .standard(for: Self.bundled.train),
                                       normalization: norm, seed: 7)
        let idxSource = BatchSource(dataset: Self.bundled.train, batchSize: 16, augmentation: .standard(for: Self.bundled.train),
                                    normalization: norm, seed: 7)
        let order = folderSource.order(epoch: 2)
        var a = [Float](repeating: 0, count: 16 * 784), b = a
        var la = [Int32](repeating: 0, count: 16), lb = la
        for index in 0..<2 {
            _ = try folderSource.fill(order: order, index: index, epoch: 2, augment: true, images: &a, labels: &la)
            _ = try idxSource.fill(order: order.map { indices[$0] }, index: index, epoch: 2, augment: true, images: &b, labels: &lb)
            #expect(a == b && la == lb)
        }
        // the normalisation computed from the folder equals the IDX images' over the same files
        let folderNorm = Normalization.compute(from: splits.train)
        #expect(folderNorm.mean.count == 1 && folderNorm.std[0] > 0.1)
    }

    @Test func badLayoutsAreRefusedNamingWhatIsWrong() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        func message() -> String {
            do {
                _ = try DatasetLoader.load(directory: root, images: options)
                return "read"
            } catch { return "\(error)" }
        }
        // no class folders: not recognised as an image folder, and the error names the layout
        try FileManager.default.createDirectory(atPath: root + "/train", withIntermediateDirectories: true)
        #expect(message().contains("nor an image folder (train/CLASS/IMAGE and val/CLASS/IMAGE, JPEG or PNG)"))
        try FileManager.default.createDirectory(atPath: root + "/train/cat", withIntermediateDirectories: true)
        #expect(message().contains("neither val/ nor test/"))
        try FileManager.default.createDirectory(atPath: root + "/test/dog", withIntermediateDirectories: true)
        #expect(message().contains("the classes of train/ and test/ differ: test/ lacks cat; test/ has dog, which train/ lacks"))
        try FileManager.default.removeItem(atPath: root + "/test/dog")
        try FileManager.default.createDirectory(atPath: root + "/test/cat", withIntermediateDirectories: true)
        #expect(message().contains("\(root)/train/cat: an empty class"))
        try PNGWriter.write(root + "/train/cat/a.png", width: 28, height: 28, channels: 1, pixels: [UInt8](repeating: 9, count: 784))
        try PNGWriter.write(root + "/test/cat/b.png", width: 28, height: 28, channels: 1, pixels: [UInt8](repeating: 9, count: 784))
        try "hello".write(toFile: root + "/train/cat/readme.txt", atomically: true, encoding: .utf8)
        #expect(message().contains("\(root)/train/cat/readme.txt: not a JPEG or PNG image"))
        #expect(message().contains("--set bad_images=skip"))
        // skipped and counted instead
        var skipping = options
        skipping.skipUnreadable = true
        let splits = try DatasetLoader.load(directory: root, images: skipping)
        #expect(splits.train.count == 1 && splits.source.contains("1 unreadable images skipped"))
        // hidden files are not images
        try "x".write(toFile: root + "/train/cat/.DS_Store", atomically: true, encoding: .utf8)
        #expect(try DatasetLoader.load(directory: root, images: skipping).train.count == 1)
        // an image folder without a network's size is refused by commands that cannot size it
        #expect(throws: DataError.self) { try DatasetLoader.load(directory: root) }
        // images decode to grey or RGB: a four-channel network is refused, not fed a copied channel
        let four = ImageFolderOptions(channels: 4, height: 28, width: 28)
        #expect(throws: DataError("images decode to 1 (grey) or 3 (RGB) channels, but the network takes 4")) {
            try DatasetLoader.load(directory: root, images: four)
        }
        #expect(throws: DataError.self) { try ImageTransform(channels: 2, height: 8, width: 8).evaluationView(ofFile: root + "/train/cat/a.png") }
    }

    @Test func largeImagesTrainOnRandomResizedCropsAndEvaluateOnTheCentre() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for split in ["train", "val"] {
            for cls in ["a", "b"] {
                let dir = "\(root)/\(split)/\(cls)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                var pixels: [UInt8] = []
                for y in 0..<90 { for x in 0..<120 { pixels += [UInt8(x * 2), UInt8(y * 2), cls == "a" ? 0 : 255] } }
                try PNGWriter.write("\(dir)/1.png", width: 120, height: 90, channels: 3, pixels: pixels)
            }
        }
        let splits = try DatasetLoader.load(directory: root, images: ImageFolderOptions(channels: 3, height: 32, width: 32))
        let source = BatchSource(dataset: splits.train, batchSize: 2, augmentation: .standard(for: splits.train),
                                 normalization: Normalization(mean: [0, 0, 0], std: [1, 1, 1]), seed: 3)
        var first = [Float](repeating: 0, count: 2 * 3 * 1024), second = first, labels = [Int32](repeating: 0, count: 2)
        _ = try source.fill(order: [0, 1], index: 0, epoch: 0, augment: true, images: &first, labels: &labels)
        _ = try source.fill(order: [0, 1], index: 0, epoch: 1, augment: true, images: &second, labels: &labels)
        #expect(first != second)  // a new crop every epoch
        var evalA = first, evalB = second
        _ = try source.fill(order: [0, 1], index: 0, epoch: 0, augment: false, images: &evalA, labels: &labels)
        _ = try source.fill(order: [0, 1], index: 0, epoch: 5, augment: false, images: &evalB, labels: &labels)
        #expect(evalA == evalB)  // evaluation is deterministic
        // the centre of the evaluation view is the image's centre (x = 60 -> red 120, y = 45 -> green 90)
        #expect(abs(evalA[16 * 32 + 16] * 255 - 120) <= 6 && abs(evalA[1024 + 16 * 32 + 16] * 255 - 90) <= 6)
    }
}
