import DNALCore
import DNALRuntime
import Foundation

/// A DNAL search whose epochs run on the PyTorch backend (torchrun, one or many processes) while
/// dnalc does what stays native: the starting weights (seeded as the native engine seeds them),
/// binarising the gates and phase 3's weight masks between phases 2 and 3, the cost columns of the
/// log, and the end of the run (masks.json, final weights, the pruner, report.json and report.html),
/// so the run directory is that of a native search. Every step reads and writes the run's
/// checkpoint, so a run stopped anywhere (or trained elsewhere) continues with `--resume`.
/// docs/pytorch-backend.md describes the job directory and the steps.
public final class TorchSearch {
    public let run: RunDirectory
    public let settings: TorchSettings
    /// Threads per process (OMP_NUM_THREADS, torch.set_num_threads).
    public let threadsPerProcess: Int
    /// Called with every epoch record the trainer reports, and with (plan, batch, batches) as it goes.
    public var onEpoch: (EpochRecord) -> Void = { _ in }
    public var onBatch: (EpochPlan, Int, Int) -> Void = { _, _, _ in }
    /// Polled after the trainer exits: true means the user interrupted it.
    public var interrupted: () -> Bool = { false }
    /// Told of trouble that does not stop the run (a process that crashed while shutting down
    /// after its work was on disk).
    public var onWarning: (String) -> Void = { _ in }

    let schedule: DNALSchedule
    var trainer: Trainer { run.trainer }
    public var jobDirectory: String { trainer.path("torch") }
    var lastCheckpoint: String { trainer.path("checkpoints/last.safetensors") }
    var weightMasksFile: String { (jobDirectory as NSString).appendingPathComponent("weight_masks.safetensors") }

    public init(run: RunDirectory, settings: TorchSettings, threadsPerProcess: Int) throws {
        guard let schedule = run.schedule as? DNALSchedule else { throw SearchError("the PyTorch backend runs searches (dnalc search), not dnalc train") }
        try Self.check(schedule.settings, on: settings)
        self.run = run
        self.settings = settings
        self.threadsPerProcess = threadsPerProcess
        self.schedule = schedule
        schedule.backend = SearchReport.Backend(
            engine: "torch", processes: settings.worldSize, device: settings.device,
            note: settings.worldSize > 1 && settings.device == "cpu" ? "batch-norm statistics per process (SyncBatchNorm needs CUDA)" : nil)
    }

    /// Refuses what the backend cannot run: a budget search, a batch that does not split evenly.
    public static func check(_ search: SearchSettings, on settings: TorchSettings) throws {
        guard search.target == nil else {
            throw SearchError("a budget search (--target-flops, --target-params) steers lambda from the native cost counter after every step; run it on the native engine, or give --lambda with --engine torch")
        }
        guard settings.processes >= 1, settings.nodes >= 1 else { throw SearchError("--nproc and --nnodes must be at least 1") }
        guard search.batch % settings.worldSize == 0 else {
            throw SearchError("the batch (\(search.batch)) must be a multiple of the process count (\(settings.worldSize)): --batch stays the global batch, split evenly")
        }
    }

    /// Writes the job (and the first checkpoint, for a new run). Returns the torchrun command.
    @discardableResult
    public func prepare() throws -> [String] {
        if !FileManager.default.fileExists(atPath: lastCheckpoint) {
            trainer.train.parameters.initialize(seed: UInt64(schedule.settings.seed), scheme: schedule.settings.initialization)
            try trainer.freshState.write(trainer.train.parameters, to: lastCheckpoint, metadata: trainer.weightsMetadata)
        }
        try TorchJob(schedule: schedule, trainer: trainer, device: settings.device, threadsPerProcess: threadsPerProcess)
            .write(to: jobDirectory, graph: schedule.graph, trainer: trainer)
        return settings.command(jobDirectory: jobDirectory)
    }

    /// Runs the search to its end: the trainer under torchrun (started again after the native
    /// step between phases 2 and 3), then the native finish. With `launch` false, prepares what
    /// can be prepared here and returns nil: the caller prints the command to run elsewhere.
    public func run(launch: Bool) throws -> SearchReport? {
        try prepare()
        var state: Checkpoint
        while true {
            state = try Checkpoint.read(from: lastCheckpoint, into: trainer.train.parameters)
            guard state.epochsDone >= 0, state.epochsDone <= schedule.totalEpochs, state.records.count == state.epochsDone else {
                throw SearchError("\(lastCheckpoint) records \(state.epochsDone) epochs done and \(state.records.count) records; this run has \(schedule.totalEpochs) epochs: the checkpoint is damaged or from another run")
            }
            if state.epochsDone == schedule.totalEpochs { break }
            if awaitsWeightMasks(state.epochsDone) {
                try beginPhase3(state)
                continue
            }
            guard launch else { return nil }
            try train(from: state.epochsDone)
        }
        if state.records.contains(where: { $0.expectedFLOPs == 0 }) {
            try fillCosts(&state)
        }
        var report = try trainer.run(schedule, resume: true)
        report.seconds = state.records.reduce(0) { $0 + $1.seconds }  // the epochs' time, over every launch
        return report
    }

    /// One torchrun launch; it returns once the trainer has finished or stopped for the masks.
    func train(from epochsDone: Int) throws {
        _ = try TorchLauncher.probe(settings)
        let log = (jobDirectory as NSString).appendingPathComponent("trainer.log")
        // rank 0 says DONE or NEEDS-MASKS only after every process passed the last epoch's barrier,
        // with the checkpoint and log already written
        var finished = false
        let status = try TorchLauncher.run(settings, jobDirectory: jobDirectory, threadsPerProcess: threadsPerProcess, log: log) { line in
            if line.hasPrefix("DNALC-DONE ") || line.hasPrefix("DNALC-NEEDS-MASKS ") { finished = true }
            handle(line)
        }
        let resume = "continue with: dnalc search --resume \(run.path)"
        if interrupted() { throw SearchError("interrupted") }
        guard status == 0 || finished else {
            throw SearchError("the PyTorch trainer failed (exit \(status)): \(TorchLauncher.reason(inLog: log)); its output is in \(log); the last checkpoint is kept, \(resume)")
        }
        let after = try Checkpoint.read(from: lastCheckpoint, into: trainer.train.parameters)
        guard after.epochsDone > epochsDone || awaitsWeightMasks(after.epochsDone) else {
            throw SearchError("the PyTorch trainer exited without training an epoch (see \(log)); \(resume)")
        }
        if status != 0 {
            onWarning("warning: the PyTorch trainer finished its epochs, then failed while shutting down (exit \(status)): \(TorchLauncher.reason(inLog: log)); its output is in \(log). The checkpoint it wrote is complete, so the run goes on")
        }
    }

    /// Whether the run, `epochsDone` epochs in, stands at a phase-3 epoch whose weight masks dnalc
    /// has not yet derived (the trainer stops there).
    func awaitsWeightMasks(_ epochsDone: Int) -> Bool {
        epochsDone < schedule.totalEpochs && schedule.plan(epoch: epochsDone).phase == 3
            && !FileManager.default.fileExists(atPath: weightMasksFile)
    }

    /// A line from the trainer: an epoch record or batch progress (rank 0's `DNALC-` lines);
    /// anything else is the user's to see.
    func handle(_ line: String) {
        if line.hasPrefix("DNALC-EPOCH "), let record = try? JSONDecoder().decode(EpochRecord.self, from: Data(line.dropFirst(12).utf8)) {
            onEpoch(costed(record))
        } else if line.hasPrefix("DNALC-BATCH "),
                  let p = try? JSONDecoder().decode([String: Int].self, from: Data(line.dropFirst(12).utf8)),
                  let phase = p["phase"], let epoch = p["epoch"], let batch = p["batch"], let batches = p["batches"] {
            onBatch(schedule.plan(phase: phase, epoch: epoch), batch, batches)
        } else if !line.hasPrefix("DNALC-") {
            print(line)
        }
    }

    /// `record` with its cost columns, counted from the checkpoint the trainer wrote just before
    /// reporting the epoch (unchanged if it cannot be read: the line is only for the terminal).
    func costed(_ record: EpochRecord) -> EpochRecord {
        guard let state = try? Checkpoint.read(from: lastCheckpoint, into: trainer.train.parameters),
              state.epochsDone >= 1, state.epochsDone <= schedule.totalEpochs else { return record }
        return withCosts(record, epoch: state.epochsDone - 1)
    }

    /// `record` of global epoch `e` with the cost columns `DNALSchedule.record` counts from the
    /// parameters as they stand.
    func withCosts(_ record: EpochRecord, epoch e: Int) -> EpochRecord {
        let plan = schedule.plan(epoch: e)
        trainer.train.gate = plan.gate
        var costed = schedule.record(plan, loss: record.loss, test: record.test, trainer: trainer)
        // the trainer's own columns: time, lambda, the loss's parts and the rate
        (costed.seconds, costed.lambda) = (record.seconds, record.lambda)
        (costed.crossEntropy, costed.regulariser, costed.learningRate) = (record.crossEntropy, record.regulariser, record.learningRate)
        return costed
    }

    /// What the native engine does when phase 3 starts (`DNALSchedule.begin`): binarise the gates
    /// into their masks, check the network stays connected, zero the masked weights; then hands
    /// the trainer the weight masks, as 0/1 tensors in PyTorch's layout.
    func beginPhase3(_ state: Checkpoint) throws {
        try trainer.begin(schedule.plan(epoch: state.epochsDone), schedule: schedule)
        try state.write(trainer.train.parameters, to: lastCheckpoint, metadata: trainer.weightsMetadata)
        guard let masks = schedule.weightMasks else { return }
        // the masks are what applying them leaves of all-ones tensors
        let ones = ParameterStore(graph: schedule.graph)
        let maskable = ones.entries.filter { [.weight, .bias, .normScale, .normShift].contains($0.spec.role) }
        for e in maskable { ones.pointer(e.name).update(repeating: 1, count: e.count) }
        masks.apply(to: ones)
        var tensors: [String: SafeTensors.Tensor] = [:]
        for e in maskable {
            let values = ones.pytorchValues(e.spec)
            if values.contains(0) { tensors[e.name] = SafeTensors.Tensor(shape: e.spec.shape, values: values) }
        }
        try SafeTensors.write(tensors, metadata: ["network": schedule.graph.name], to: weightMasksFile)
    }

    /// The cost columns of the log (`DNALSchedule.record`): the trainer leaves them to dnalc, and
    /// saves the gates after every phase-2 epoch for it.
    func fillCosts(_ state: inout Checkpoint) throws {
        let p = trainer.train.parameters
        let gateSpecs = p.table.specs.filter { $0.group == .alpha }
        let finalGates = gateSpecs.map { p.values(of: $0.name) }  // what phases 1 and 3 are counted with
        func setGates(_ values: [[Float]]) { for (spec, v) in zip(gateSpecs, values) { p.set(spec.name, v) } }
        for (e, old) in state.records.enumerated() {
            if schedule.plan(epoch: e).phase == 2 {
                let snapshot = (jobDirectory as NSString).appendingPathComponent("gates/epoch-\(e + 1).safetensors")
                let file = try SafeTensors.read(snapshot)
                setGates(try gateSpecs.map { spec in
                    guard let t = file.tensors[spec.name], t.values.count == spec.count else {
                        throw SearchError("\(snapshot) lacks the gate tensor '\(spec.name)'")
                    }
                    return t.values
                })
            } else {
                setGates(finalGates)
            }
            state.records[e] = withCosts(old, epoch: e)
        }
        setGates(finalGates)
        try state.write(p, to: lastCheckpoint, metadata: trainer.weightsMetadata)
        try state.records.writeCSV(to: trainer.path("log.csv"))
    }
}
