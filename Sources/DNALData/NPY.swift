import Foundation

/// NumPy's `.npy` format (version 1.0 to 3.0): the interchange point for users' own scripts and
/// other runtimes. dnalc reads C-order little-endian float32 or float64 arrays (float64 is
/// narrowed) and writes float32, version 1.0, with the header padded to 64 bytes as NumPy does.
public enum NPY {
    /// An array: its shape and its values in C order.
    public struct Array: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    static let magic: [UInt8] = [0x93] + Swift.Array("NUMPY".utf8)

    /// Parses `.npy` bytes; `file` names the source in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws(DataError) -> Array {
        func fail(_ why: String) -> DataError { DataError("\(file): \(why)") }
        guard bytes.count >= 10, Swift.Array(bytes[0..<6]) == magic else { throw fail("not a NumPy .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else { throw fail(".npy version \(major).\(bytes[7]) is not supported (1.0 to 3.0 are)") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= bytes.count else { throw fail("truncated header (\(headerLength) bytes announced)") }
        let header = String(decoding: bytes[(8 + lengthBytes)..<dataStart], as: UTF8.self)
        guard let descr = field("descr", in: header), let fortran = field("fortran_order", in: header),
              let shapeText = field("shape", in: header) else {
            throw fail("damaged header: \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard fortran == "False" else { throw fail("Fortran-order arrays are not supported; save with np.ascontiguousarray") }
        let elementSize: Int
        switch descr {
        case "'<f4'": elementSize = 4
        case "'<f8'": elementSize = 8
        default: throw fail("dtype \(descr) is not supported: save float32 ('<f4') or float64 ('<f8')")
        }
        let inner = shapeText.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard shapeText.hasPrefix("("), shapeText.hasSuffix(")") else { throw fail("damaged shape \(shapeText)") }
        var shape: [Int] = []
        for dim in inner {
            guard let d = Int(dim), d >= 0, d <= 1 << 31 else { throw fail("damaged shape \(shapeText)") }
            shape.append(d)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (m, o) = acc.0.multipliedReportingOverflow(by: d)
            return (m, acc.1 || o)
        }
        let (dataBytes, tooMany) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, !tooMany, bytes.count - dataStart == dataBytes else {
            throw fail("shape \(shapeText) needs \(overflow || tooMany ? "too many" : String(dataBytes)) bytes of data, the file has \(bytes.count - dataStart)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let at = dataStart + i * elementSize
                values[i] = elementSize == 4
                    ? Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                    : Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
            }
        }
        return Array(shape: shape, values: values)
    }

    /// The value text of `key` in a header dict such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    static func field(_ key: String, in header: String) -> String? {
        guard let start = header.range(of: "'\(key)':") else { return nil }
        let rest = header[start.upperBound...].drop(while: { $0 == " " })
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? rest.endIndex
        return rest[..<end].trimmingCharacters(in: .whitespaces)
    }

    /// `.npy` version 1.0 bytes of a float32 array.
    public static func encode(_ array: Array) -> [UInt8] {
        var bytes = header(descr: "<f4", shape: array.shape)
        bytes.reserveCapacity(bytes.count + array.values.count * 4)
        for v in array.values {
            let bits = v.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff), UInt8(bits >> 24)]
        }
        return bytes
    }

    /// `.npy` version 1.0 bytes of a uint8 array (images, labels).
    public static func encode(bytes values: [UInt8], shape: [Int]) -> [UInt8] {
        header(descr: "|u1", shape: shape) + values
    }

    /// Magic, version 1.0 and the header dict, padded so the data starts at a multiple of 64.
    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // magic(6) + version(2) + length(2) + header + padding + "\n" is a multiple of 64
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        return magic + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)] + Swift.Array(header.utf8)
    }

    /// Reads a `.npy` file.
    public static func read(_ path: String) throws(DataError) -> Array {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw DataError("cannot read '\(path)': \(exists ? (isDirectory.boolValue ? "it is a directory" : "permission denied") : "no such file")")
        }
        return try decode([UInt8](data), file: path)
    }
}
