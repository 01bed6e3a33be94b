import DNALTestSupport
import Foundation

/// The interpreter with torch that the PyTorch-backend tests use: `DNALC_TEST_PYTHON` (.ci/run
/// sets it to a throwaway venv's python after the main suite). Without it these suites are
/// skipped, as dnalc itself never needs Python.
enum TorchPython {
    static let path: String? = {
        guard let python = ProcessInfo.processInfo.environment["DNALC_TEST_PYTHON"], !python.isEmpty else { return nil }
        return python
    }()

    /// Runs `script` with `arguments`; returns its standard output, or throws with its standard error.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["-c", script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TorchTestError("python failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

struct TorchTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// max |a - b| / max(max |b|, floor): the relative difference the equivalence tests bound.
func relativeDifference(_ a: [Float], _ b: [Double], floor: Double = 1e-12) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, scale = max(floor, 1e-30)
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(Double(x) - y))
        scale = max(scale, abs(y))
    }
    return diff / scale
}
