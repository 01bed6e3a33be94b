import DNALCore
import DNALKernels
import CDNALKernels
import Foundation

/// Runs a graph: forward (training or inference), backward (accumulating parameter gradients),
/// on one arena laid out by the memory planner for a fixed maximum batch.
public final class Executor: @unchecked Sendable {
    public let graph: Graph
    public let parameters: ParameterStore
    /// Largest batch the arena holds; calls may use any batch from 1 to this.
    public let maxBatch: Int
    public let training: Bool
    public let parallel: Parallel
    /// How every gate acts (identity while training weights, search with its sharpness beta while
    /// learning alphas, hard while fine-tuning and in inference).
    public var gate = Gate(mode: .identity)
    /// Parameter groups whose gradients are not needed (their weight-gradient kernels are skipped).
    public var frozen: Set<ParameterGroup> = []

    /// What the forward pass runs: the layers, or in an inference executor the fused plan.
    let steps: [InferenceStep]
    /// A training executor's layers, which the backward pass runs in reverse (empty for inference).
    let layers: [Step]
    let plan: MemoryPlan
    let arena: UnsafeMutablePointer<Float>
    let workspace = Workspace()
    var batchNormSaved: [Int: BatchNormKernel.Saved] = [:]
    var fusedSaved: [Int: FusedNormKernel.Saved] = [:]
    /// A deferred block's batch-norm sums, taken by its reader's backward pass (`DeferredSums`)
    /// for the block's own, by the block's node.
    var takenSums: [Int: [Double]] = [:]
    var argmax: [Int: UnsafeMutablePointer<Int32>] = [:]
    var dropoutMasks: [Int: UnsafeMutablePointer<Float>] = [:]
    /// A training sum's activation slopes, one bit per element (`TensorOps.sum(slopeMask:)`): its
    /// backward pass reads these instead of its output, which is then free after its last
    /// forward reader (1/32 of its floats).
    var slopeMasks: [Int: UnsafeMutablePointer<UInt16>] = [:]
    /// In training, the gather each sum computes with itself (`Step.fusedWithProducer`), by the
    /// sum's node: the gather's node and channels.
    let gatherAfter: [Int: (node: Int, index: [Int32])]
    /// When set, forward and backward time every step into `stepSeconds`.
    public var profile = false
    /// Accumulated (forward, backward) seconds per step while `profile` is set.
    public var stepSeconds: [(forward: Double, backward: Double)] = []
    /// Dropout randomness; part of a checkpoint's state.
    public var random = SeededRandom(seed: 0)
    var currentBatch = 0
    var forwardDone = false

    /// The most memory an executor may plan, as a fraction of physical memory.
    public static let memoryBudgetFraction = 0.8

    /// Lowers `graph` and plans memory for batches up to `maxBatch`; checks the memory needed
    /// against the machine before allocating anything.
    /// `fuse` (the default) runs each conv -> bn -> [gate] -> [activation] line as one fused step;
    /// an inference executor also folds gathers and residual sums into their convs, and a
    /// training one, with `sumsInPlace` (the default), writes a pruned ResNet's sums over their
    /// trunk (`Lowering.sumsInPlace`; false keeps a tensor per sum, for comparisons), and with
    /// `deferOutputs` (the default) never stores a block's output that only a depthwise block
    /// reads (`Lowering.deferOutputs`; false stores it, for comparisons).
    public init(graph: Graph, maxBatch: Int, training: Bool, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                parameters: ParameterStore? = nil, fuse: Bool = true, sumsInPlace: Bool = true,
                deferOutputs: Bool = true) throws {
        guard maxBatch >= 1 else { throw RuntimeError("the batch size must be at least 1, got \(maxBatch)") }
        var lowering = Lowering(graph, fuse: fuse)
        if training && fuse && sumsInPlace { lowering.sumsInPlace(output: graph.output) }
        if training && fuse && deferOutputs { lowering.deferOutputs(output: graph.output) }
        let steps = fuse && !training ? lowering.inferencePlan(output: graph.output) : lowering.steps.map(InferenceStep.layer)
        let intervals = training
            ? Step.liveIntervals(lowering.steps, inputCount: graph.inputShape.elementCount, batch: maxBatch, training: true)
            : InferenceStep.liveIntervals(steps, inputCount: graph.inputShape.elementCount, batch: maxBatch, training: false)
        var aliases = Dictionary(uniqueKeysWithValues: InferenceStep.aliases(steps).map { (MemoryPlan.Tensor.activation($0.key), MemoryPlan.Tensor.activation($0.value)) })
        if training {
            for (node, root) in Step.gradientAliases(lowering.steps) { aliases[.gradient(node)] = .gradient(root) }
        }
        let plan = MemoryPlan(intervals, aliases: aliases)
        let paramFloats = lowering.table.specs.reduce(0) { $0 + $1.count } * (training ? 4 : 1)
        let extra = lowering.steps.reduce(0) { total, step in
            switch step.kind {
            case .maxPool, .dropout: return total + step.outputCount * maxBatch
            case .scatterAdd: return total + (training ? (step.slopeMaskWords * maxBatch + 1) / 2 : 0)
            default: return total
            }
        }
        let bytes = Double(plan.totalFloats + paramFloats + extra) * 4
        let budget = Double(ProcessInfo.processInfo.physicalMemory) * Self.memoryBudgetFraction
        guard bytes <= budget else {
            throw RuntimeError(String(format: "'%@' at batch %d needs %.1f GiB of memory, more than the %.1f GiB this machine allows (%.0f%% of %.1f GiB); use a smaller batch",
                                      graph.name, maxBatch, bytes / 1_073_741_824, budget / 1_073_741_824,
                                      Self.memoryBudgetFraction * 100, Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824))
        }
        self.graph = graph
        self.maxBatch = maxBatch
        self.training = training
        self.parallel = Parallel(threads: threads)
        self.steps = steps
        layers = training ? lowering.steps : []
        var gathers: [Int: (node: Int, index: [Int32])] = [:]
        for step in layers where step.fusedWithProducer {
            if case .gather(_, _, let index) = step.kind { gathers[step.inputs[0]] = (step.node, index) }
        }
        gatherAfter = gathers
        self.plan = plan
        if let parameters {
            guard parameters.table.specs == lowering.table.specs else {
                throw RuntimeError("the parameter store does not belong to '\(graph.name)'")
            }
            self.parameters = parameters
        } else {
            self.parameters = ParameterStore(lowering.table)
        }
        // on 2 MB boundaries, as transparent huge pages: a training step walks gigabytes of
        // activations, with 4 KB pages a TLB walk every 64 cache lines (MobileNetV2's step took
        // 0.97x the time with huge pages, alternated A/B; ResNet-56 and VGG16 within noise)
        guard let room = dnal_allocate_large(max(plan.totalFloats, 1)) else {
            throw RuntimeError("cannot allocate \(plan.totalFloats * 4 / (1 << 20)) MB for the step's tensors at batch \(maxBatch); use a smaller batch")
        }
        arena = room
        arena.initialize(repeating: 0, count: max(plan.totalFloats, 1))
        for step in lowering.steps {
            switch step.kind {
            case .maxPool: argmax[step.node] = .allocate(capacity: step.outputCount * maxBatch)
            case .dropout: dropoutMasks[step.node] = .allocate(capacity: step.outputCount * maxBatch)
            default: break
            }
            if training && step.slopeMaskWords > 0 { slopeMasks[step.node] = .allocate(capacity: step.slopeMaskWords * maxBatch) }
        }
    }

    deinit {
        dnal_free_large(arena)
        for p in argmax.values { p.deallocate() }
        for p in dropoutMasks.values { p.deallocate() }
        for p in slopeMasks.values { p.deallocate() }
    }

    /// Bytes of the activation arena, parameters (with gradients and optimizer room) and
    /// kernel scratch currently reserved.
    public var reservedBytes: Int {
        (plan.totalFloats + parameters.trainableCount * 2 + parameters.bufferCount + workspace.reservedFloats) * 4
    }

    func activation(_ node: Int) -> UnsafeMutablePointer<Float> { arena + plan.offsets[.activation(node)]! }
    func gradient(_ node: Int) -> UnsafeMutablePointer<Float> { arena + plan.offsets[.gradient(node)]! }

    /// Where to write the next batch: `[batch, H, W, C]` (NHWC).
    public var input: UnsafeMutablePointer<Float> { activation(0) }

    /// Copies a batch stored as `[batch, C, H, W]` (NCHW, PyTorch's layout) into the input.
    public func setInput(chw: UnsafePointer<Float>, batch: Int) {
        let s = graph.inputShape
        TensorOps.fromCHW(chw, batch: batch, pixels: s.spatialCount, channels: s.channels, into: input)
    }

    /// The logits of the last forward pass: `[batch, classes]`.
    public var logits: UnsafeMutablePointer<Float> { activation(graph.output) }

    /// Conv and linear multiply-accumulates per sample of a forward pass.
    public var macsPerSample: Int { steps.reduce(0) { $0 + $1.macs } }

    /// Multiply-accumulates per sample of a training step as this (training) executor runs it:
    /// forward, plus backward-data for every conv/linear not reading the network input, plus
    /// backward-weight for every conv/linear whose group is not frozen.
    public var trainingMACsPerSample: Int {
        layers.reduce(0) { total, step in
            var m = step.macs
            switch step.kind {
            case .conv, .convBlock: if !frozen.contains(.conv) { m += step.macs }
            case .linear: if !frozen.contains(.linear) { m += step.macs }
            default: break
            }
            if step.macs > 0 && step.inputs[0] != 0 { m += step.macs }
            return total + m
        }
    }

    /// The sums computed in place on their trunk: inside their branch's last conv in an
    /// inference plan (`Lowering.inferencePlan`), over the trunk's tensor in a training one
    /// (`Lowering.sumsInPlace`).
    public var sumsComputedInPlace: [String] {
        steps.compactMap { $0.aliasOf == nil ? nil : $0.name }
    }

    /// The scatters an inference plan's chain does itself, writing each group of trunk images
    /// just before running it (`InferencePlanner.startChainsAtScatters`).
    public var scattersInChains: [String] {
        steps.compactMap { if case .chainStart = $0.fusedKind { return $0.name } else { return nil } }
    }

    /// The training blocks whose output is never stored, their depthwise reader taking it from
    /// the raw conv output instead (`Lowering.deferOutputs`).
    public var deferredOutputs: [String] {
        layers.compactMap { $0.outputDeferred ? $0.name : nil }
    }

    /// Step names and ops, in execution order (for per-layer reports). A fused line is named
    /// after its conv or linear layer and reports that layer's op, not its last node's (the
    /// activation); a chain of blocks reports its last node's.
    public var stepNames: [(name: String, op: String)] {
        steps.map { ($0.name, $0.fusedOpName ?? (graph.node(named: $0.name) ?? graph.nodes[$0.node]).op.kindName) }
    }
}

extension Executor {
    /// Tensors the memory plan lets overlap while both are live (always empty; exposed for tests).
    public var planConflicts: [(MemoryPlan.Tensor, MemoryPlan.Tensor)] { plan.conflicts() }
    /// The live interval of each planned tensor (training times: node k's forward step at time
    /// k; exposed for tests).
    public var plannedIntervals: [MemoryPlan.Interval] { plan.intervals }
    /// Arena size in floats.
    public var arenaFloats: Int { plan.totalFloats }
}
