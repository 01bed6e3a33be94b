import Foundation

/// Finds and reads data sets: `--data DIR` holding CIFAR-10 binary batches, MNIST-family IDX
/// files or an image folder (`train/CLASS/*`, `val/CLASS/*` or `test/CLASS/*`, JPEG or PNG), or the
/// bundled Fashion-MNIST subset when no directory is given.
public enum DatasetLoader {
    /// The largest data file read (the full CIFAR-10 training batches are 30 MB each).
    static let maxFileBytes = 1 << 31

    /// Reads `directory`, or the bundled subset when it is nil. An image folder is read at the
    /// size `images` gives (the network's input); without it, an image folder is refused.
    public static func load(directory: String?, images: ImageFolderOptions? = nil) throws -> DataSplits {
        guard let directory else { return try bundled() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw DataError("cannot read data directory '\(directory)': no such directory")
        }
        guard isDirectory.boolValue else { throw DataError("'\(directory)' is a file; --data takes a directory") }
        if (try? find(directory, "data_batch_1.bin")) != nil || (try? find(directory, "test_batch.bin")) != nil {
            return try CIFAR10Reader.read(directory: directory)
        }
        if (try? find(directory, "train-images-idx3-ubyte")) != nil {
            let name = directory.lowercased().contains("fashion") ? "fashion-mnist" : "mnist-family"
            return try IDXReader.read(directory: directory, name: name)
        }
        if ImageFolderReader.recognises(directory) {
            guard let images else { throw DataError("'\(directory)' is an image folder, which this command cannot read") }
            return try ImageFolderReader.read(directory: directory, options: images)
        }
        throw DataError("'\(directory)' holds neither CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin), MNIST-family IDX files (train-images-idx3-ubyte[.gz] ...) nor an image folder (train/CLASS/IMAGE and val/CLASS/IMAGE, JPEG or PNG)")
    }

    /// The Fashion-MNIST subset shipped with dnalc (10,000 training and 2,000 test images).
    public static func bundled() throws -> DataSplits {
        guard let url = Bundle.module.url(forResource: "fashion-mnist-subset", withExtension: nil) else {
            throw DataError("the bundled Fashion-MNIST subset is missing from this build")
        }
        var splits = try IDXReader.read(directory: url.path, name: "fashion-mnist-subset")
        splits.source = "bundled Fashion-MNIST subset"
        return splits
    }

    /// `directory/name`, or `directory/name.gz`.
    static func find(_ directory: String, _ name: String) throws -> String {
        for candidate in [name, name + ".gz"] {
            let path = (directory as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw DataError("\(directory): missing \(name) (or \(name).gz)")
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError("cannot read '\(path)'") }
        defer { try? handle.close() }
        guard let data = try handle.read(upToCount: maxFileBytes + 1), data.count <= maxFileBytes else {
            throw DataError("'\(path)' is empty or larger than \(maxFileBytes >> 20) MiB")
        }
        return [UInt8](data)
    }
}
