import DNALCore
import DNALData
import DNALPasses
import DNALRuntime
import DNALSyntax
import Foundation

/// The readers a user's file reaches, each as one fuzz target: given any bytes, a reader returns
/// a value or throws its error; a trap, a crash or a hang is a bug (scripts/fuzz.sh, FUZZING.md).
enum FuzzTarget: String, CaseIterable {
    case yaml, safetensors, npy, masks, idx, cifar, image

    /// Runs the target on one input; errors are the expected outcome for most inputs.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .yaml:
            // as `dnalc analyze` takes a file: parse, elaborate, verify, then cost and couple it
            guard let graph = try? NetworkParser.parse(source: bytes, file: "fuzz.yaml") else { return }
            for convention in CostConvention.allCases { _ = computeCost(graph, convention: convention) }
            _ = computeChannelCoupling(graph)
        case .safetensors:
            _ = try? SafeTensors.decode(bytes, file: "fuzz.safetensors")
        case .npy:
            _ = try? NPY.decode(bytes, file: "fuzz.npy")
        case .masks:
            _ = try? MasksFile.decode(bytes, file: "fuzz.masks.json", for: Self.masksNetwork)
        case .idx:
            // as the data loader reads a file: gunzipped first when it is gzip (bounded)
            let plain = Gzip.isCompressed(bytes) ? ((try? Gzip.decompress(bytes, limit: 1 << 24, file: "fuzz.gz")) ?? []) : bytes
            _ = try? IDXReader.images(plain, file: "fuzz-idx3-ubyte")
            _ = try? IDXReader.labels(plain, file: "fuzz-idx1-ubyte")
        case .cifar:
            _ = try? CIFAR10Reader.batch(bytes, file: "fuzz_batch.bin")
        case .image:
            // JPEG or PNG, as an image folder's files: grey and colour, with and without DCT scaling,
            // then the evaluation view of what decoded
            for channels in [1, 3] {
                guard let image = try? ImageDecoder.decode(bytes, name: "fuzz.img", channels: channels, minSide: channels == 1 ? 8 : 0) else { continue }
                var out = [UInt8](repeating: 0, count: channels * 16 * 16)
                var none: SeededRandom? = nil
                ImageTransform(channels: channels, height: 16, width: 16).apply(image, random: &none, flip: true, into: &out)
            }
        }
    }

    /// A small residual network with gates, for masks files to name.
    static let masksNetwork: Graph = try! NetworkParser.parse(source: Array("""
        network: fuzz
        input: [1, 8, 8]
        classes: 3
        defaults:
          conv: {kernel: 3, bn: true, gate: true}
        layers:
          - conv: {name: stem, out: 4, act: relu}
          - residual:
              name: block
              branch:
                - conv: {name: c1, out: 4, act: relu}
                - conv: {name: c2, out: 4}
          - gap
          - linear: {name: fc, out: 3}
        """.utf8), file: "fuzz-network.yaml")

    /// The target `DNALC_FUZZ_TARGET` names.
    static var fromEnvironment: FuzzTarget? {
        ProcessInfo.processInfo.environment["DNALC_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
    }
}
