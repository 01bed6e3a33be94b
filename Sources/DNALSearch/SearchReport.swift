import DNALCore
import DNALPasses
import DNALRuntime
import Foundation

/// The outcome of a run, as `report.json`: the unpruned and the pruned network's cost (dnal
/// convention) and test top-1, the reduction, and the settings that produced it.
public struct SearchReport: Codable, Sendable {
    public struct Network: Codable, Sendable, Equatable {
        public var flops: Int
        public var params: Int
        public var top1: Double?
    }
    public var network: String
    public var data: String
    /// The data's class names in label order, when it names them (an image folder).
    public var classNames: [String]?
    /// A search's lambda and settings (nil for a `dnalc train` run, which has `training`).
    public var lambda: Double?
    public var settings: SearchSettings?
    /// A `dnalc train` run's settings.
    public var training: TrainSettings?
    /// The full network (top-1 at the end of phase 1).
    public var baseline: Network
    /// The hard-gated network the masks define, counted as its compact network (`pruned.yaml`)
    /// costs (top-1 at the end of phase 3).
    public var pruned: Network
    /// The same masks under the reference's own counter (docs/dnal-method.md 7.1), the figure the
    /// paper's tables give. It exceeds `pruned` only when a gate closed entirely: the reference
    /// still counts the convs in front of it, which nothing reads (`computeReferenceCost`).
    public var reference: Cost?

    /// A cost without an accuracy.
    public struct Cost: Codable, Sendable, Equatable {
        public var flops: Int
        public var params: Int
    }

    /// Whether the reference counter's figure differs from `pruned` (a gate closed entirely).
    public var referenceDiffers: Bool {
        guard let r = reference else { return false }
        return r.flops != pruned.flops || r.params != pruned.params
    }

    /// How many times fewer FLOPs than the baseline the reference counter's figure is.
    public var referenceFLOPsRatio: Double? {
        reference.map { Double(baseline.flops) / Double(max($0.flops, 1)) }
    }
    public var flopsRatio: Double
    public var paramsRatio: Double
    /// Best test top-1 during fine-tuning.
    public var bestTop1: Double?
    public var keptGates: Int
    public var gates: Int
    public var seconds: Double
    /// The compact network's file in the run directory, or why there is none.
    public var prunedNetwork: String?
    public var prunedNetworkNote: String?
    /// A budget search's target, what it reached and how lambda moved.
    public var budget: BudgetOutcome?
    /// The PyTorch backend's engine, process count and device, when it trained the network
    /// (nil: dnalc's native engine).
    public var backend: Backend?

    /// Where a run trained, when not on the native engine.
    public struct Backend: Codable, Sendable, Equatable {
        public var engine: String
        public var processes: Int
        public var device: String
        /// What differs from one process (batch-norm statistics per process on CPU).
        public var note: String?
        public init(engine: String, processes: Int, device: String, note: String?) {
            self.engine = engine
            self.processes = processes
            self.device = device
            self.note = note
        }

        /// "the PyTorch backend: 2 processes on cpu (NOTE)", as the terminal and report.html say it.
        public var description: String {
            "the PyTorch backend: \(processes) process\(processes == 1 ? "" : "es") on \(device)\(note.map { " (\($0))" } ?? "")"
        }
    }

    enum CodingKeys: String, CodingKey {
        case network, data, classNames = "class_names", lambda, training, settings, baseline, pruned, reference, flopsRatio = "flops_ratio", paramsRatio = "params_ratio"
        case bestTop1 = "best_top1", keptGates = "kept_gates", gates, seconds
        case prunedNetwork = "pruned_network", prunedNetworkNote = "pruned_network_note", budget, backend
    }

    /// The report of a run of `recipe` (a search's settings and lambda, or a training run's
    /// settings) on `data`, whose class names are `classNames` when it has them.
    init(graph: Graph, recipe: RunRecipe, data: String, classNames: [String]?, records: [EpochRecord], masks: GateMasks,
         bestTop1: Double?, seconds: Double) {
        let full = computeCost(graph, convention: .dnal)
        let masked = computeCost(graph, convention: .dnal, masks: computeChannelMasks(graph, gates: masks))
        network = graph.name
        self.data = data
        self.classNames = classNames
        switch recipe {
        case .search(let s): (lambda, settings) = (s.lambda, s)
        case .train(let t): training = t
        }
        baseline = Network(flops: full.totalFLOPs, params: full.totalParams, top1: records.last { $0.phase == 1 }?.test.top1)
        pruned = Network(flops: masked.totalFLOPs, params: masked.totalParams, top1: records.last { $0.phase == 3 }?.test.top1)
        let counted = computeReferenceCost(graph, convention: .dnal, gates: masks)
        reference = Cost(flops: counted.totalFLOPs, params: counted.totalParams)
        flopsRatio = Double(full.totalFLOPs) / Double(max(masked.totalFLOPs, 1))
        paramsRatio = Double(full.totalParams) / Double(max(masked.totalParams, 1))
        self.bestTop1 = bestTop1
        keptGates = masks.keptChannels
        gates = graph.gateChannels
        self.seconds = seconds
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeAtomically([UInt8](try encoder.encode(self)), to: path)
    }
}
