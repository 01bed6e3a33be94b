import ArgumentParser
import DNALCore
import DNALKernels
import DNALRuntime
import Foundation

/// `dnalc bench FILE`: training-step or inference throughput on random data, against this
/// machine's measured FMA peak, with a per-layer time breakdown.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training or inference speed of a network on random data."
    )

    enum Mode: String, EnumerableFlag { case train, infer }
    enum Format: String, ExpressibleByArgument { case table, json }

    @Argument(help: "The network file (YAML, see Grammar.md).")
    var file: String

    @Option(help: "Images per step.")
    var batch = 128

    @Flag(exclusivity: .exclusive, help: "Time training steps (forward, loss, backward, SGD) or inference (forward only).")
    var mode: Mode = .train

    @OptionGroup var workers: ThreadsOption

    @Option(help: "Timed steps (after the warm-up steps).")
    var steps = 10

    @Option(help: "Untimed warm-up steps.")
    var warmup = 2

    @Option(help: "Kernel path: avx512, avx2 or scalar (default: the best this CPU supports).")
    var isa: KernelISA?

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Time the data path instead of the network: reading DIR (decoding every image of an image folder) and one epoch of augmented training batches, in images/s.", valueName: "dir"))
    var data: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    @Option(help: ArgumentHelp("Also measure this network (e.g. the pruned one) the same way: measured speedup next to the MACs ratio.", valueName: "other.yaml"))
    var compare: String?

    func run() throws {
        if let isa, !KernelISA.use(isa) {
            printError("error: this CPU cannot run the \(isa.rawValue) kernels (it supports: \(KernelISA.supported.map(\.rawValue).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        let graph = try loadNetwork(file)
        if let data {
            try exitingOnUserError { print(try DataBenchmark.measure(graph, directory: data, batch: batch).table, terminator: "") }
            return
        }
        let other = try compare.map { try loadNetwork($0) }
        if let warning = loadWarning() { printError(warning) }
        let peak = MachinePeak.measure(threads: workers.threads)
        let report = try measure(graph, peak: peak)
        guard let other else {
            print(format == .json ? report.json() : report.table())
            return
        }
        let otherReport = try measure(other, peak: peak)
        let speedup = report.medianSeconds / otherReport.medianSeconds
        let macsRatio = Double(report.macsPerImage) / Double(max(otherReport.macsPerImage, 1))
        switch format {
        case .json:
            func r(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
            print("{\n\"base\": \(report.json()),\n\"compare\": \(otherReport.json()),\n\"speedup\": \(r(speedup)),\n\"macs_ratio\": \(r(macsRatio)),\n\"speedup_over_macs_ratio\": \(r(speedup / macsRatio))\n}")
        case .table:
            print(report.table())
            print(otherReport.table())
            // a pruned network keeps its original's name: tell them apart by file then
            let (a, b) = other.name == graph.name ? ((file as NSString).lastPathComponent, (compare! as NSString).lastPathComponent) : (graph.name, other.name)
            print("\(b) against \(a): \(fixed(speedup, 2))x faster (\(fixed(report.medianSeconds * 1000, 2)) -> \(fixed(otherReport.medianSeconds * 1000, 2)) ms per step) for \(fixed(macsRatio, 2))x fewer MACs: \(fixed(speedup / macsRatio, 2)) of the MACs ratio turned into time")
        }
    }

    /// Times `graph`'s steps on random data (after the warm-up), then profiles a few for the
    /// per-layer breakdown.
    func measure(_ graph: Graph, peak: Double) throws -> BenchReport {
        resetPeakResident()
        let executor: Executor
        do {
            executor = try Executor(graph: graph, maxBatch: batch, training: mode == .train, threads: workers.threads)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        executor.parameters.initialize(seed: 0)
        var rng = SeededRandom(seed: 1)
        for i in 0..<(batch * graph.inputShape.elementCount) { executor.input[i] = Float(rng.normal()) }
        let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(graph.classes)) }
        let optimizer = Optimizer(.sgd(momentum: 0.9, nesterov: false), store: executor.parameters)
        func step() throws {
            try executor.forward(batch: batch)
            if mode == .train {
                try executor.backward(labels: labels)
                optimizer.step(groups: Set(ParameterGroup.allCases), learningRate: 1e-3, weightDecay: 1e-4,
                               parallel: executor.parallel)
            }
        }
        for _ in 0..<warmup { try step() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = Date()
            try step()
            times.append(Date().timeIntervalSince(start))
        }
        executor.profile = true
        let profiled = min(3, steps)
        for _ in 0..<profiled { try step() }
        return BenchReport(network: graph.name, mode: mode.rawValue, batch: batch, threads: workers.threads,
                           isa: KernelISA.current.rawValue, stepSeconds: times,
                           macsPerImage: mode == .train ? executor.trainingMACsPerSample : executor.macsPerSample,
                           peakGFLOPS: peak, plannedBytes: executor.reservedBytes, maxRSSBytes: maxResidentBytes(),
                           layers: zip(executor.stepNames, executor.stepSeconds).map {
                               BenchReport.Layer(name: $0.0.name, op: $0.0.op, forwardMilliseconds: $0.1.forward * 1000 / Double(profiled),
                                                 backwardMilliseconds: $0.1.backward * 1000 / Double(profiled))
                           })
    }
}

extension KernelISA: ExpressibleByArgument {}

/// The process's peak resident memory in bytes since `resetPeakResident` (Linux's VmHWM), else
/// since it started (getrusage).
func maxResidentBytes() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kB = Int(line.split(separator: " ").dropFirst().first ?? "") {
        return kB * 1024
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}

/// Resets the peak-resident mark to the current size, so that each network of `--compare` gets
/// its own figure (Linux: writing 5 to /proc/self/clear_refs; elsewhere a no-op).
func resetPeakResident() {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        try? handle.write(contentsOf: Data("5".utf8))
        try? handle.close()
    }
}

/// A warning when other work keeps the CPUs busy (1-minute load average above half the cores
/// before dnalc starts measuring): the figures would be low and noisy.
func loadWarning() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
          let load = Double(text.split(separator: " ").first ?? "") else { return nil }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard load > 0.5 * Double(cores) else { return nil }
    return "warning: the machine is busy (load average \(String(format: "%.1f", load)) on \(cores) cores): these figures will be low and noisy; compare only ratios measured in one run"
}
