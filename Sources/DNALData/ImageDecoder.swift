import CImageCodecs
import Foundation

/// A decoded image: `height` rows of `width` pixels of `channels` bytes (1 grey, 3 RGB), row-major.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]
}

/// Decodes JPEG and PNG files with libjpeg-turbo and libpng (through CImageCodecs), recognising
/// the format by its first bytes, not the file name.
public enum ImageDecoder {
    /// The largest image file read.
    static let maxFileBytes = 256 << 20

    /// Reads and decodes `path` to `channels` (1: grey, 3: RGB) channels. With `minSide` > 0 a
    /// JPEG may be decoded at 1/2, 1/4 or 1/8 scale as long as its shorter side stays >= minSide.
    public static func decode(file path: String, channels: Int, minSide: Int = 0) throws -> DecodedImage {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError("\(path): cannot read the file") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxFileBytes + 1)) ?? Data()
        guard data.count <= maxFileBytes else { throw DataError("\(path): larger than \(maxFileBytes >> 20) MiB") }
        return try decode([UInt8](data), name: path, channels: channels, minSide: minSide)
    }

    /// Decodes the bytes of a JPEG or PNG file; `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String, channels: Int, minSide: Int = 0) throws -> DecodedImage {
        precondition(channels == 1 || channels == 3, "images decode to 1 or 3 channels")
        var image = dnalc_image()
        let status: Int32
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            status = bytes.withUnsafeBufferPointer { dnalc_decode_jpeg($0.baseAddress, $0.count, Int32(channels), Int32(minSide), &image) }
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            status = bytes.withUnsafeBufferPointer { dnalc_decode_png($0.baseAddress, $0.count, Int32(channels), &image) }
        } else {
            throw DataError("\(name): not a JPEG or PNG image\(bytes.isEmpty ? " (the file is empty)" : "")")
        }
        guard status == 0, let pixels = image.pixels else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw DataError("\(name): cannot decode it: \(message)")
        }
        defer { dnalc_image_free(&image) }
        let count = Int(image.width) * Int(image.height) * Int(image.channels)
        return DecodedImage(width: Int(image.width), height: Int(image.height), channels: Int(image.channels),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}
