import DNALCore
import DNALTestSupport
import Foundation
import Testing
@testable import DNALData

/// The fixtures are 12x10: red = 20 * x, green = 25 * y, blue = 200 (Fixtures/images).
@Suite("JPEG and PNG decoding")
struct ImageDecoderTests {
    func fixture(_ name: String) -> String {
        Repository.root.appendingPathComponent("Tests/DNALDataTests/Fixtures/images/\(name)").path
    }

    func pixel(_ image: DecodedImage, _ x: Int, _ y: Int) -> [Int] {
        (0..<image.channels).map { Int(image.pixels[(y * image.width + x) * image.channels + $0]) }
    }

    @Test func pngIsExactAndJPEGClose() throws {
        let png = try ImageDecoder.decode(file: fixture("rgb.png"), channels: 3)
        #expect(png.width == 12 && png.height == 10 && png.channels == 3)
        #expect(pixel(png, 5, 3) == [100, 75, 200])
        let jpeg = try ImageDecoder.decode(file: fixture("rgb.jpg"), channels: 3)
        #expect(jpeg.width == 12 && jpeg.height == 10)
        for (a, b) in zip(pixel(jpeg, 5, 3), [100, 75, 200]) { #expect(abs(a - b) <= 12) }
        // colour to grey and grey JPEGs
        let grey = try ImageDecoder.decode(file: fixture("rgb.png"), channels: 1)
        #expect(grey.channels == 1 && grey.pixels.count == 120)
        let greyJPEG = try ImageDecoder.decode(file: fixture("gray.jpg"), channels: 1)
        #expect(abs(Int(greyJPEG.pixels[3 * 12 + 5]) - Int(grey.pixels[3 * 12 + 5])) <= 12)
        let greyAsRGB = try ImageDecoder.decode(file: fixture("gray.jpg"), channels: 3)
        #expect(Set(pixel(greyAsRGB, 5, 3)).count == 1)
    }

    @Test func paletteSixteenBitAndAlphaPNGs() throws {
        let palette = try ImageDecoder.decode(file: fixture("palette.png"), channels: 3)
        #expect(palette.width == 12 && palette.height == 10 && palette.channels == 3)
        #expect(pixel(palette, 11, 9)[2] > 150)  // blue 200, within an 8-colour palette's reach
        let sixteen = try ImageDecoder.decode(file: fixture("gray16.png"), channels: 1)
        #expect(sixteen.pixels.count == 120)
        #expect(zip(sixteen.pixels, sixteen.pixels.dropFirst()).allSatisfy { $0 <= $1 } && sixteen.pixels.last! > sixteen.pixels.first!)
        let alpha = try ImageDecoder.decode(file: fixture("rgba.png"), channels: 3)
        #expect(pixel(alpha, 0, 0) == [0, 0, 0])  // transparent: composited onto black
        #expect(pixel(alpha, 10, 2) == [200, 50, 200])
    }

    @Test("unreadable files are refused with the file named", arguments: [
        ("truncated.jpg", "cannot decode it"), ("cmyk.jpg", "CMYK"), ("notes.txt", "not a JPEG or PNG image"),
    ])
    func refused(name: String, says: String) {
        do {
            _ = try ImageDecoder.decode(file: fixture(name), channels: 3)
            Issue.record("\(name) decoded")
        } catch let error as DataError {
            #expect(error.message.hasPrefix(fixture(name) + ": ") && error.message.contains(says), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func hostileBytesNeverCrash() {
        var rng = SeededRandom(seed: 4)
        let jpeg = (try? Data(contentsOf: URL(fileURLWithPath: fixture("rgb.jpg")))).map { [UInt8]($0) } ?? []
        let png = (try? Data(contentsOf: URL(fileURLWithPath: fixture("rgba.png")))).map { [UInt8]($0) } ?? []
        for base in [jpeg, png] {
            for _ in 0..<300 {
                var bytes = base
                for _ in 0..<4 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(rng.next() & 0xFF) }
                bytes = Array(bytes.prefix(8 + Int(rng.next() % UInt64(bytes.count))))
                _ = try? ImageDecoder.decode(bytes, name: "mutated", channels: 3)
            }
        }
        // an enormous declared size is refused before any allocation
        var huge = PNGWriter.encode(width: 2, height: 2, channels: 1, pixels: [0, 0, 0, 0])
        huge.replaceSubrange(16..<24, with: [0, 1, 0, 0, 0, 1, 0, 0])  // 65536 x 65536
        #expect(throws: DataError.self) { try ImageDecoder.decode(huge, name: "huge", channels: 1) }
    }

    @Test func theTransformCropsTheCentreForEvaluationAndResizesSmallImages() {
        // 64x48 image, value = x: a 16x16 input's evaluation view is the centre, 48 / (16/0.875) scale
        var pixels: [UInt8] = []
        for _ in 0..<48 { for x in 0..<64 { pixels.append(UInt8(x)) } }
        let image = DecodedImage(width: 64, height: 48, channels: 1, pixels: pixels)
        let t = ImageTransform(channels: 1, height: 16, width: 16)
        var out = [UInt8](repeating: 0, count: 256)
        var none: SeededRandom? = nil
        t.apply(image, random: &none, flip: false, into: &out)
        // the centre window is 16 * 48/18 = 42.7 source pixels wide, centred on x = 32
        #expect(abs(Int(out[8]) - 32) <= 2 && out[0] > 10 && out[15] < 54)
        // a small image is resized whole: 12x10 -> same size is the identity
        let small = DecodedImage(width: 12, height: 10, channels: 1, pixels: (0..<120).map { UInt8($0) })
        let same = ImageTransform(channels: 1, height: 10, width: 12)
        var copy = [UInt8](repeating: 0, count: 120)
        same.apply(small, random: &none, flip: false, into: &copy)
        #expect(copy == small.pixels)
        // training: random resized crops stay inside the image and vary
        var random: SeededRandom? = SeededRandom(seed: 1)
        var seen = Set<[UInt8]>()
        for _ in 0..<5 {
            t.apply(image, random: &random, flip: false, into: &out)
            seen.insert(out)
        }
        #expect(seen.count == 5)
    }
}
