import DNALCore
import DNALData
import DNALTestSupport
import Foundation
import Testing

@Suite("Data sets")
struct DataTests {
    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func idxImages(_ n: Int, rows: Int = 4, cols: Int = 3) -> [UInt8] {
        [0, 0, 8, 3, 0, 0, 0, UInt8(n), 0, 0, 0, UInt8(rows), 0, 0, 0, UInt8(cols)] + (0..<(n * rows * cols)).map { UInt8($0 % 256) }
    }

    func idxLabels(_ labels: [UInt8]) -> [UInt8] { [0, 0, 8, 1, 0, 0, 0, UInt8(labels.count)] + labels }

    @Test func bundledFashionMNISTSubset() throws {
        let d = try DatasetLoader.load(directory: nil)
        #expect(d.source == "bundled Fashion-MNIST subset")
        #expect(d.train.count == 10_000 && d.test.count == 2_000)
        #expect((d.train.channels, d.train.height, d.train.width, d.train.classes) == (1, 28, 28, 10))
        #expect(Set(d.test.labels) == Set(0...9))
        #expect(d.train.images.count == 10_000 * 784)
    }

    @Test func mnistFamilyDirectoryPlainAndGzip() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(idxImages(5)).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try Data(Gzip.compress(idxLabels([0, 1, 2, 3, 9]))).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        try Data(Gzip.compress(idxImages(2))).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try Data(idxLabels([4, 5])).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let d = try DatasetLoader.load(directory: dir.path)
        #expect(d.train.count == 5 && d.test.count == 2 && d.train.height == 4 && d.train.width == 3)
        #expect(d.train.images[13] == 13 && d.test.labels == [4, 5])
    }

    @Test func cifarDirectory() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func records(_ labels: [UInt8]) -> Data {
            Data(labels.flatMap { [$0] + [UInt8](repeating: $0 &* 7, count: 3072) })
        }
        try records([1, 2, 3]).write(to: dir.appendingPathComponent("data_batch_1.bin"))
        try records([4]).write(to: dir.appendingPathComponent("data_batch_2.bin"))
        try records([9, 0]).write(to: dir.appendingPathComponent("test_batch.bin"))
        let d = try DatasetLoader.load(directory: dir.path)
        #expect(d.train.count == 4 && d.train.labels == [1, 2, 3, 4] && d.test.labels == [9, 0])
        #expect(d.train.channels == 3 && d.train.images[3 * 3072] == 28)
    }

    @Test func badFilesGiveClearErrors() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = dir.appendingPathComponent("data_batch_1.bin")
        try Data([UInt8](repeating: 1, count: 3073 * 2 - 5)).write(to: train)
        #expect(throws: DataError("\(train.path): 6141 bytes is not a whole number of 3073-byte CIFAR-10 records (truncated or foreign file?)")) {
            try DatasetLoader.load(directory: dir.path)
        }
        try Data([12] + [UInt8](repeating: 0, count: 3072)).write(to: train)
        #expect(throws: DataError("\(train.path): record 0 has label 12; CIFAR-10 labels are 0 to 9")) {
            try DatasetLoader.load(directory: dir.path)
        }
        #expect(throws: DataError("\(dir.path): missing test_batch.bin (or test_batch.bin.gz)")) {
            try Data([3] + [UInt8](repeating: 0, count: 3072)).write(to: train)
            return try DatasetLoader.load(directory: dir.path)
        }
        #expect(throws: DataError("x: not an IDX image file (expected magic 0x00000803)")) { try IDXReader.images(idxLabels([1]), file: "x") }
        #expect(throws: DataError("x: 5 images of 4x3 need 60 bytes, found 59 (truncated or foreign file?)")) {
            try IDXReader.images(Array(idxImages(5).dropLast()), file: "x")
        }
        #expect(throws: DataError("x: the gzip data ends early (truncated file?)")) {
            try IDXReader.labels(Array(Gzip.compress(idxLabels([1, 2, 3])).prefix(15)), file: "x")
        }
        #expect(throws: DataError("cannot read data directory '/no/such/dir': no such directory")) { try DatasetLoader.load(directory: "/no/such/dir") }
        let empty = try directory()
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: DataError.self) { try DatasetLoader.load(directory: empty.path) }
    }

    @Test func batchesAreDeterministicNormalisedAndAugmented() throws {
        let d = try DatasetLoader.load(directory: nil).test.prefix(64)
        let norm = Normalization.compute(from: d)
        #expect(norm.mean.count == 1 && norm.mean[0] > 0.1 && norm.mean[0] < 0.6)
        let source = BatchSource(dataset: d, batchSize: 16, augmentation: .standard(for: d), normalization: norm, seed: 7)
        #expect(source.order(epoch: 3) == source.order(epoch: 3))
        #expect(source.order(epoch: 3) != source.order(epoch: 4))
        #expect(source.order(epoch: 0).sorted() == Array(0..<64))
        var a = [Float](repeating: 0, count: 16 * 784), b = a
        var la = [Int32](repeating: 0, count: 16), lb = la
        let order = source.order(epoch: 1)
        #expect(try source.fill(order: order, index: 3, epoch: 1, augment: true, images: &a, labels: &la) == 16)
        _ = try source.fill(order: order, index: 3, epoch: 1, augment: true, images: &b, labels: &lb)
        #expect(a == b && la == lb)
        // without augmentation the pixels are the normalised originals
        _ = try source.fill(order: Array(0..<64), index: 0, epoch: 0, augment: false, images: &a, labels: &la)
        #expect(abs(a[100] - (Float(d.images[100]) / 255 - norm.mean[0]) / norm.std[0]) < 1e-6)
        #expect(la[0] == Int32(d.labels[0]))
        let mean = a.reduce(0, +) / Float(a.count)
        #expect(abs(mean) < 0.5)
    }
}

/// The normalisation recorded in weights files: round trip, absent, damaged.
@Suite("Normalization metadata")
struct NormalizationMetadataTests {
    @Test func roundTripsAndRefusesDamage() throws {
        let n = Normalization(mean: [0.2860, 0.5], std: [0.3530, 0.25])
        #expect(try Normalization(metadata: n.metadata, source: "w.safetensors") == n)
        #expect(try Normalization(metadata: ["network": "x"], source: "w.safetensors") == nil)
        for damaged in ["{\"mean\": [0.1], \"std\": [0]}", "{\"mean\": [0.1, 0.2], \"std\": [1]}", "[1, 2]", "{\"mean\": [], \"std\": []}"] {
            #expect(throws: DataError("w.safetensors: its 'dnalc.normalization' metadata is damaged: \(damaged)")) {
                try Normalization(metadata: [Normalization.metadataKey: damaged], source: "w.safetensors")
            }
        }
    }
}
