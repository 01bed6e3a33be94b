import DNALCore
import Foundation

/// What `dnalc bench` measured, and its table and JSON forms.
struct BenchReport: Encodable {
    struct Layer: Encodable {
        var name: String
        var op: String
        var forwardMilliseconds: Double
        var backwardMilliseconds: Double
        enum CodingKeys: String, CodingKey {
            case name, op, forwardMilliseconds = "forward_ms", backwardMilliseconds = "backward_ms"
        }
    }

    var network: String
    var mode: String
    var batch: Int
    var threads: Int
    var isa: String
    var stepSeconds: [Double]
    /// Conv/linear multiply-accumulates per image of one step as run (train: fwd + bwd).
    var macsPerImage: Int
    var peakGFLOPS: Double
    var plannedBytes: Int
    var maxRSSBytes: Int
    var layers: [Layer]

    var medianSeconds: Double {
        let s = stepSeconds.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var imagesPerSecond: Double { Double(batch) / medianSeconds }
    var gflops: Double { 2 * Double(macsPerImage) * Double(batch) / medianSeconds / 1e9 }

    func json() -> String {
        struct Out: Encodable {
            var network: String, mode: String, batch: Int, threads: Int, isa: String
            var images_per_second: Double, ms_per_step: Double, gflops: Double, peak_gflops: Double, percent_of_peak: Double
            var macs_per_image: Int, step_ms: [Double], planned_bytes: Int, max_rss_bytes: Int, layers: [Layer]
        }
        func r(_ x: Double, _ d: Double = 100) -> Double { (x * d).rounded() / d }
        let out = Out(network: network, mode: mode, batch: batch, threads: threads, isa: isa,
                      images_per_second: r(imagesPerSecond, 10), ms_per_step: r(medianSeconds * 1000), gflops: r(gflops, 10),
                      peak_gflops: r(peakGFLOPS, 10), percent_of_peak: r(100 * gflops / peakGFLOPS, 10),
                      macs_per_image: macsPerImage, step_ms: stepSeconds.map { r($0 * 1000) }, planned_bytes: plannedBytes,
                      max_rss_bytes: maxRSSBytes,
                      layers: layers.map { Layer(name: $0.name, op: $0.op, forwardMilliseconds: r($0.forwardMilliseconds, 1000),
                                                 backwardMilliseconds: r($0.backwardMilliseconds, 1000)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(out)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    func table() -> String {
        var out = "dnalc bench \(network): \(mode == "train" ? "training steps" : "inference"), batch \(batch), \(threads) thread\(threads == 1 ? "" : "s"), \(isa) kernels\n"
        out += "images/s       \(fixed(imagesPerSecond, 1))\n"
        out += "ms per step    \(fixed(medianSeconds * 1000, 2)) (median of \(stepSeconds.count))\n"
        out += "GFLOP/s        \(fixed(gflops, 1)) = \(fixed(100 * gflops / peakGFLOPS, 1))% of the measured \(fixed(peakGFLOPS, 1)) GFLOP/s FMA peak\n"
        out += "work           \(human(macsPerImage)) MACs per image (\(mode == "train" ? "forward + backward" : "forward"))\n"
        out += "memory         \(fixed(Double(plannedBytes) / 1_048_576, 1)) MiB planned, \(fixed(Double(maxRSSBytes) / 1_048_576, 1)) MiB peak resident while measuring this network\n\n"
        let total = layers.reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
        let training = mode == "train"
        let rows = layers.sorted { $0.forwardMilliseconds + $0.backwardMilliseconds > $1.forwardMilliseconds + $1.backwardMilliseconds }
            .prefix(20).map { l -> [String] in
                let t = l.forwardMilliseconds + l.backwardMilliseconds
                return [l.name, l.op, fixed(l.forwardMilliseconds, 3)] + (training ? [fixed(l.backwardMilliseconds, 3)] : [])
                    + [fixed(100 * t / max(total, 1e-9), 1)]
            }
        out += "slowest layers (ms per step)\n"
        // inference has no backward pass: no column of zeros
        let header = ["name", "op", "forward"] + (training ? ["backward"] : []) + ["% time"]
        out += columns([header] + rows, rightAligned: Set(2..<header.count))
        if layers.count > 20 { out += "(\(layers.count - 20) more layers; --format json lists all)\n" }
        return out
    }
}
