import DNALCore
import Foundation

/// How an image from a folder becomes a network input of `channels x height x width` bytes
/// (docs/data.md): for evaluation, the shorter side resized to size / 0.875 and the centre cut
/// out (256 -> 224, as the reference evaluates ImageNet); for training, a random resized crop
/// (an area fraction in `cropScale...1` of the image, aspect ratio 3/4..4/3) and a flip. An
/// image not much larger than the input (shorter side below size / 0.875) is simply resized to
/// the input size, and trains with the padded random crop and flip of `Augmentation`.
public struct ImageTransform: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    /// The smallest area fraction a training crop takes (torchvision's default 0.08).
    public var cropScale: Double

    public init(channels: Int, height: Int, width: Int, cropScale: Double = 0.08) {
        (self.channels, self.height, self.width, self.cropScale) = (channels, height, width, cropScale)
    }

    /// The shorter side an evaluation resize gives.
    var evaluationSide: Int { Int((Double(max(height, width)) / 0.875).rounded()) }

    /// Images decode to grey or RGB: refuses a network input with another channel count.
    func checkChannels() throws {
        guard channels == 1 || channels == 3 else {
            throw DataError("images decode to 1 (grey) or 3 (RGB) channels, but the network takes \(channels)")
        }
    }

    /// The JPEG or PNG file at `path`, decoded to this input's channels; a JPEG at the smallest DCT
    /// scale that keeps its shorter side at least `evaluationSide`.
    func decode(file path: String) throws -> DecodedImage {
        try ImageDecoder.decode(file: path, channels: channels, minSide: evaluationSide)
    }

    /// Whether `image` counts as small: resized whole rather than cropped.
    func isSmall(_ image: DecodedImage) -> Bool { min(image.width, image.height) < evaluationSide }

    /// The region of `image` (x, y, w, h) that becomes the input, for evaluation or (with a
    /// generator) training. Small images give the whole image.
    func region(of image: DecodedImage, random: inout SeededRandom?) -> (x: Double, y: Double, w: Double, h: Double) {
        let w = Double(image.width), h = Double(image.height)
        if isSmall(image) { return (0, 0, w, h) }
        guard random != nil else {
            // resize the shorter side to evaluationSide, then cut the centre: in source pixels,
            // a window of input size * (shorter / evaluationSide)
            let scale = min(w, h) / Double(evaluationSide)
            let cw = Double(width) * scale, ch = Double(height) * scale
            return ((w - cw) / 2, (h - ch) / 2, cw, ch)
        }
        let area = w * h
        for _ in 0..<10 {
            let target = area * (cropScale + (1 - cropScale) * random!.uniform())
            let logRatio = log(3.0 / 4) + (log(4.0 / 3) - log(3.0 / 4)) * random!.uniform()
            let ratio = exp(logRatio)
            let cw = (target * ratio).squareRoot(), ch = (target / ratio).squareRoot()
            if cw <= w && ch <= h {
                return ((w - cw) * random!.uniform(), (h - ch) * random!.uniform(), cw, ch)
            }
        }
        let side = min(w, h)
        return ((w - side) / 2, (h - side) / 2, side, side)
    }

    /// Writes the region of `image` resized to the input size, planar (C, H, W), into `out`
    /// (bilinear, pixel centres aligned), mirrored left-right with `flip`.
    func resample(_ image: DecodedImage, region r: (x: Double, y: Double, w: Double, h: Double), flip: Bool,
                  into out: UnsafeMutablePointer<UInt8>) {
        let sx = r.w / Double(width), sy = r.h / Double(height)
        let c = image.channels
        if sx == 1 && sy == 1 && r.x == 0 && r.y == 0 && image.width == width && image.height == height {
            // the image is already the input's size: a copy into planes (and the mirror)
            image.pixels.withUnsafeBufferPointer { src in
                for k in 0..<channels {
                    let ck = min(k, c - 1)
                    for y in 0..<height {
                        for x in 0..<width {
                            out[(k * height + y) * width + x] = src[(y * width + (flip ? width - 1 - x : x)) * c + ck]
                        }
                    }
                }
            }
            return
        }
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<height {
                let fy = min(max(r.y + (Double(y) + 0.5) * sy - 0.5, 0), Double(image.height - 1))
                let y0 = Int(fy), y1 = min(y0 + 1, image.height - 1), wy = fy - Double(y0)
                for x in 0..<width {
                    let xx = flip ? width - 1 - x : x
                    let fx = min(max(r.x + (Double(xx) + 0.5) * sx - 0.5, 0), Double(image.width - 1))
                    let x0 = Int(fx), x1 = min(x0 + 1, image.width - 1), wx = fx - Double(x0)
                    for k in 0..<channels {
                        let ck = min(k, c - 1)
                        let a = Double(src[(y0 * image.width + x0) * c + ck]), b = Double(src[(y0 * image.width + x1) * c + ck])
                        let d = Double(src[(y1 * image.width + x0) * c + ck]), e = Double(src[(y1 * image.width + x1) * c + ck])
                        let v = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy
                        out[(k * height + y) * width + x] = UInt8(min(max(v.rounded(), 0), 255))
                    }
                }
            }
        }
    }

    /// The evaluation view (C, H, W bytes) of the JPEG or PNG file at `path`.
    public func evaluationView(ofFile path: String) throws -> [UInt8] {
        try checkChannels()
        let image = try decode(file: path)
        var out = [UInt8](repeating: 0, count: channels * height * width)
        var none: SeededRandom? = nil
        apply(image, random: &none, flip: false, into: &out)
        return out
    }

    /// The input bytes (C, H, W) for `image`: evaluation's centre view without a generator; a
    /// training view (random resized crop, flipped with `flip`) with one.
    public func apply(_ image: DecodedImage, random: inout SeededRandom?, flip: Bool, into out: UnsafeMutablePointer<UInt8>) {
        resample(image, region: region(of: image, random: &random), flip: flip, into: out)
    }
}
