import ArgumentParser
import DNALSearch

/// Where `dnalc search` trains: dnalc's native engine, or the PyTorch backend under torchrun
/// (`@OptionGroup var engine`).
struct EngineOptions: ParsableArguments {
    enum Engine: String, ExpressibleByArgument, CaseIterable { case native, torch }
    enum Launch: String, ExpressibleByArgument, CaseIterable { case auto, none }

    @Option(help: "native: dnalc's CPU engine. torch: generated PyTorch code under torchrun (DistributedDataParallel), on CPU or CUDA.")
    var engine: Engine = .native

    @Option(help: ArgumentHelp("torch: processes per machine (torchrun --nproc_per_node).", valueName: "n"))
    var nproc: Int?

    @Option(help: ArgumentHelp("torch: cpu or cuda.", valueName: "device"))
    var device: String?

    @Option(help: ArgumentHelp("torch: the Python interpreter that has torch (default python3).", valueName: "python"))
    var python: String?

    @Option(help: ArgumentHelp("torch: auto runs torchrun here; none only writes the job and prints the torchrun command (for a cluster).", valueName: "mode"))
    var launch: Launch = .auto

    @Option(help: ArgumentHelp("torch: machines taking part (torchrun --nnodes), with --rdzv-endpoint.", valueName: "n"))
    var nnodes: Int?

    @Option(name: .customLong("rdzv-endpoint"), help: ArgumentHelp("torch: HOST:PORT of the first machine, for runs across machines.", valueName: "host:port"))
    var rendezvous: String?

    /// Whether any torch-only option was given.
    var givesTorchOptions: Bool { nproc != nil || device != nil || launch != .auto || nnodes != nil || rendezvous != nil }

    func validate() throws {
        if let nproc, nproc < 1 { throw ValidationError("--nproc must be at least 1, got \(nproc)") }
        if let nnodes, nnodes < 1 { throw ValidationError("--nnodes must be at least 1, got \(nnodes)") }
        if let device, !["cpu", "cuda"].contains(device) { throw ValidationError("--device takes cpu or cuda, got '\(device)'") }
        if (nnodes ?? 1) > 1 && rendezvous == nil { throw ValidationError("--nnodes above 1 needs --rdzv-endpoint HOST:PORT (the first machine's)") }
    }

    /// The launch settings of a new torch run, or nil for the native engine.
    var settings: TorchSettings? {
        guard engine == .torch else { return nil }
        return TorchSettings(python: python ?? "python3", processes: nproc ?? 1, device: device ?? "cpu", nodes: nnodes ?? 1,
                             rendezvous: rendezvous)
    }
}
