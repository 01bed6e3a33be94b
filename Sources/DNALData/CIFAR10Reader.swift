/// CIFAR-10's binary version: `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin`,
/// each a sequence of records of 1 label byte and 3,072 pixel bytes (32x32 red, then green, then
/// blue planes).
public enum CIFAR10Reader {
    public static let recordBytes = 1 + 3 * 32 * 32

    /// One batch file's samples.
    public static func batch(_ bytes: [UInt8], file: String) throws -> (images: [UInt8], labels: [UInt8]) {
        guard !bytes.isEmpty, bytes.count % recordBytes == 0 else {
            throw DataError("\(file): \(bytes.count) bytes is not a whole number of \(recordBytes)-byte CIFAR-10 records (truncated or foreign file?)")
        }
        let n = bytes.count / recordBytes
        var images = [UInt8](repeating: 0, count: n * (recordBytes - 1)), labels = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let r = i * recordBytes
            guard bytes[r] < 10 else { throw DataError("\(file): record \(i) has label \(bytes[r]); CIFAR-10 labels are 0 to 9") }
            labels[i] = bytes[r]
            images.replaceSubrange((i * (recordBytes - 1))..<((i + 1) * (recordBytes - 1)), with: bytes[(r + 1)..<(r + recordBytes)])
        }
        return (images, labels)
    }

    /// Reads the five training batches (those present, at least one) and the test batch.
    public static func read(directory: String) throws -> DataSplits {
        var trainImages: [UInt8] = [], trainLabels: [UInt8] = []
        for k in 1...5 {
            guard let file = try? DatasetLoader.find(directory, "data_batch_\(k).bin") else { continue }
            let b = try batch(try DatasetLoader.bytes(file), file: file)
            trainImages += b.images
            trainLabels += b.labels
        }
        guard !trainLabels.isEmpty else { throw DataError("\(directory): no data_batch_1.bin ... data_batch_5.bin") }
        let testFile = try DatasetLoader.find(directory, "test_batch.bin")
        let test = try batch(try DatasetLoader.bytes(testFile), file: testFile)
        func make(_ images: [UInt8], _ labels: [UInt8]) -> Dataset {
            Dataset(name: "cifar10", channels: 3, height: 32, width: 32, classes: 10, images: images, labels: labels)
        }
        return DataSplits(train: make(trainImages, trainLabels), test: make(test.images, test.labels), source: directory)
    }
}
