import DNALCore
import Foundation

/// The safetensors format (8-byte little-endian header length, a JSON header, then raw
/// little-endian tensors), for float32 tensors: written atomically, read with every field
/// checked so a truncated or foreign file gets a precise error, never a crash.
public enum SafeTensors {
    /// One tensor: its shape and values.
    public struct Tensor: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// Largest header accepted (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// The file's bytes for `tensors` (written in name order) and string `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]] as [String: Any]
            offset += 4 * t.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }  // pad to 8 bytes, as the format recommends
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for name in names {
            #if _endian(little)
            // one copy per tensor: the file's byte order is the machine's (fast in debug builds too)
            tensors[name]!.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            #else
            for v in tensors[name]!.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            #endif
        }
        return bytes
    }

    /// Parses a file's bytes; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ message: String) -> RuntimeError { RuntimeError("\(file): \(message)") }
        guard bytes.count >= 8 else { throw fail("not a safetensors file (\(bytes.count) bytes, shorter than its 8-byte header length)") }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(maxHeaderBytes), length <= UInt64(bytes.count - 8) else {
            throw fail("not a safetensors file (header length \(length) does not fit in \(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(length)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
              let header = object as? [String: Any] else {
            throw fail("not a safetensors file (its header is not a JSON object)")
        }
        let dataCount = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' has a malformed header entry")
            }
            if name.hasSuffix("." + ParameterRole.pytorchBatchCounterSuffix) { continue }  // PyTorch's batch-norm step counter
            guard dtype == "F32" else { throw fail("tensor '\(name)' is \(dtype); dnalc reads F32 tensors") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a negative dimension") }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
                throw fail("tensor '\(name)' lies outside the file (bytes \(offsets[0])..<\(offsets[1]) of \(dataCount)); is it truncated?")
            }
            let (bytesNeeded, tooMany) = count.multipliedReportingOverflow(by: 4)
            guard !tooMany, offsets[1] - offsets[0] == bytesNeeded else {
                let needs = tooMany ? "more bytes than any file holds" : "\(bytesNeeded) bytes"
                throw fail("tensor '\(name)' of shape \(shape) needs \(needs) but has \(offsets[1] - offsets[0])")
            }
            var values = [Float](repeating: 0, count: count)
            let base = headerEnd + offsets[0]
            #if _endian(little)
            // one copy per tensor (the bounds were checked above)
            values.withUnsafeMutableBytes { out in
                bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[base..<(base + 4 * count)])) }
            }
            #else
            for i in 0..<count {
                let p = base + 4 * i
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            #endif
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// Writes atomically: a temporary file beside `path`, then a rename, so a crash never leaves
    /// a half-written file where a good one was.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try writeAtomically(encode(tensors, metadata: metadata), to: path)
    }

    /// Reads and decodes the file at `path`.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let reason = exists ? (isDirectory.boolValue ? "it is a directory, not a safetensors file" : "permission denied") : "no such file"
            throw RuntimeError("cannot read '\(path)': \(reason)")
        }
        return try decode([UInt8](data), file: path)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename (atomic on one file system).
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try Data(bytes).write(to: temp)
    } catch {
        try? FileManager.default.removeItem(at: temp)
        throw RuntimeError("cannot write '\(path)': \(error.localizedDescription)")
    }
    // rename(2) replaces an existing file atomically (Foundation's replaceItemAt fails on Linux
    // when the destination exists).
    guard rename(temp.path, path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temp)
        throw RuntimeError("cannot write '\(path)': \(reason)")
    }
}
