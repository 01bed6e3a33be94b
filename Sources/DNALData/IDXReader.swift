import Foundation

/// The IDX format of the MNIST family (MNIST, Fashion-MNIST, KMNIST): a 4-byte magic
/// (0x00000803 for images, 0x00000801 for labels), big-endian dimension sizes, then unsigned
/// bytes. Files may be gzip-compressed, as Debian ships them.
public enum IDXReader {
    /// Images `[count, rows, cols]` as one channel.
    public static func images(_ bytes: [UInt8], file: String) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        let data = Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, file: file) : bytes
        guard data.count >= 16, word(data, 0) == 0x0000_0803 else {
            throw DataError("\(file): not an IDX image file (expected magic 0x00000803)")
        }
        let (count, rows, cols) = (word(data, 4), word(data, 8), word(data, 12))
        guard rows >= 1, cols >= 1, rows <= 4096, cols <= 4096 else { throw DataError("\(file): implausible image size \(rows)x\(cols)") }
        guard data.count - 16 == count * rows * cols else {
            throw DataError("\(file): \(count) images of \(rows)x\(cols) need \(count * rows * cols) bytes, found \(data.count - 16) (truncated or foreign file?)")
        }
        return (count, rows, cols, Array(data[16...]))
    }

    /// Labels `[count]`.
    public static func labels(_ bytes: [UInt8], file: String) throws -> [UInt8] {
        let data = Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, file: file) : bytes
        guard data.count >= 8, word(data, 0) == 0x0000_0801 else {
            throw DataError("\(file): not an IDX label file (expected magic 0x00000801)")
        }
        let count = word(data, 4)
        guard data.count - 8 == count else {
            throw DataError("\(file): \(count) labels need \(count) bytes, found \(data.count - 8) (truncated or foreign file?)")
        }
        return Array(data[8...])
    }

    /// Reads a directory holding train-/t10k- images and labels (plain or .gz). Labels must be
    /// below `classes` (10 for the MNIST family).
    public static func read(directory: String, name: String, classes: Int = 10) throws -> DataSplits {
        func split(_ prefix: String) throws -> Dataset {
            let imageFile = try DatasetLoader.find(directory, "\(prefix)-images-idx3-ubyte")
            let labelFile = try DatasetLoader.find(directory, "\(prefix)-labels-idx1-ubyte")
            let images = try images(try DatasetLoader.bytes(imageFile), file: imageFile)
            let labels = try labels(try DatasetLoader.bytes(labelFile), file: labelFile)
            guard labels.count == images.count else {
                throw DataError("\(labelFile) has \(labels.count) labels but \(imageFile) has \(images.count) images")
            }
            if let bad = labels.firstIndex(where: { Int($0) >= classes }) {
                throw DataError("\(labelFile): label \(labels[bad]) of sample \(bad) is not below \(classes)")
            }
            return Dataset(name: name, channels: 1, height: images.rows, width: images.cols, classes: classes,
                           images: images.pixels, labels: labels)
        }
        return DataSplits(train: try split("train"), test: try split("t10k"), source: directory)
    }

    static func word(_ d: [UInt8], _ i: Int) -> Int {
        Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
    }
}
