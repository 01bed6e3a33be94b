import DNALCore
import DNALData
import DNALSyntax
import Foundation

/// What makes a run the run it is, recorded in config.json and compared when it resumes: the
/// network (its canonical form, so comments and spacing do not count but relu -> relu6 does) and
/// the data (sizes, labels and a sample of the pixels).
enum RunFingerprint {
    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and platforms, not cryptographic
    /// (it guards against mistakes, not adversaries).
    static func hash<S: Sequence>(_ bytes: S, into h: inout UInt64) where S.Element == UInt8 {
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100000001b3
        }
    }

    static let seed: UInt64 = 0xcbf29ce484222325

    static func hex(_ h: UInt64) -> String {
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The network's canonical form, hashed.
    static func network(_ graph: Graph) -> String {
        var h = seed
        hash(Emitter.emit(graph).utf8, into: &h)
        return hex(h)
    }

    /// Both splits' shapes and labels and every 61st pixel byte (an image folder: its file
    /// paths and sizes), hashed.
    static func data(_ splits: DataSplits) -> String {
        var h = seed
        for d in [splits.train, splits.test] {
            hash("\(d.count) \(d.channels)x\(d.height)x\(d.width) \(d.classes);".utf8, into: &h)
            // one byte per label up to 256 classes, as fingerprints recorded before 16-bit labels
            hash(d.labels.lazy.map { UInt8(truncatingIfNeeded: $0) }, into: &h)
            if d.classes > 256 { hash(d.labels.lazy.map { UInt8($0 >> 8) }, into: &h) }
            hash(stride(from: 0, to: d.images.count, by: 61).lazy.map { d.images[$0] }, into: &h)
            for file in d.folder?.files ?? [] {
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
                hash("\(file) \(size);".utf8, into: &h)
            }
        }
        return hex(h)
    }
}
