import DNALCore
import DNALData
import DNALExport
import DNALRuntime
import Foundation

/// What a run on the PyTorch backend executes, as `RUN/torch/job.json` holds it: every epoch's
/// plan as `DNALSchedule` makes it (the Python trainer has no schedule of its own), the data as
/// dnalc read it, the normalisation, each tensor's optimiser group from the `ParameterTable`, and
/// the metadata every weights file carries. Beside it: `model.py` (`PyTorchModel`), the trainer
/// (`TorchTrainerScript`) and the data as uint8 `.npy` files, so the directory is a
/// self-contained job that can be copied to a cluster.
struct TorchJob: Encodable {
    /// One epoch, as the trainer carries it out.
    struct Plan: Encodable {
        var phase, epoch, epochs: Int
        var gateMode: String
        var beta: Double
        /// The beta the epoch's log record shows (`DNALSchedule.record`).
        var recordBeta: Double
        /// Groups the optimiser steps; every other parameter gets no gradient.
        var stepping: [String]
        /// The epoch's base rate (a step schedule's factor applied), and where a cosine stands:
        /// [the epoch it starts at, its horizon], both in epochs; nil for a constant rate.
        var learningRate: Double
        var cosine: [Int]?
        /// Under the `step` beta schedule, the beta phase 2 rises to, step by step.
        var betaRampTo: Double?
        var weightDecay: Double
        var tracksBest: Bool
        /// Set every alpha to 0 before the epoch (the first of phase 2).
        var resetAlpha: Bool
        /// lambda of the regulariser lambda * sum(sigmoid(alpha)), when the epoch adds it.
        var regulariser: Double?
        /// Multiply weights by `weight_masks.safetensors` before the epoch and after every step (phase 3).
        var weightMasks: Bool

        enum CodingKeys: String, CodingKey {
            case phase, epoch, epochs, beta, stepping, cosine, regulariser, betaRampTo = "beta_ramp_to"
            case gateMode = "gate_mode", recordBeta = "record_beta", learningRate = "learning_rate", weightDecay = "weight_decay"
            case tracksBest = "tracks_best", resetAlpha = "reset_alpha", weightMasks = "weight_masks"
        }
    }

    var network: String
    /// The run directory, relative to the job directory.
    var runDirectory = ".."
    var device: String
    var threadsPerProcess: Int
    var batch: Int
    var momentum: Double
    var seed: Int
    var threshold: Double
    var betaFinal: Double
    var gateChannels: Int
    var normalization: [String: [Float]]
    var augmentation: [String: Int]
    var data: [String: String]
    var groups: [String: String]
    var weightsMetadata: [String: String]
    var plans: [Plan]

    enum CodingKeys: String, CodingKey {
        case network, device, batch, momentum, seed, threshold, normalization, augmentation, data, groups, plans
        case runDirectory = "run_directory", threadsPerProcess = "threads_per_process", betaFinal = "beta_final"
        case gateChannels = "gate_channels", weightsMetadata = "weights_metadata"
    }

    /// The files the trainer reads, inside the job directory.
    static let dataFiles = ["train_images": "data/train-images.npy", "train_labels": "data/train-labels.npy",
                            "test_images": "data/test-images.npy", "test_labels": "data/test-labels.npy"]

    init(schedule: DNALSchedule, trainer: Trainer, device: String, threadsPerProcess: Int) {
        let s = schedule.settings, graph = schedule.graph
        let augmentation = trainer.trainSource.augmentation
        network = graph.name
        self.device = device
        self.threadsPerProcess = threadsPerProcess
        batch = s.batch
        momentum = s.momentum
        seed = s.seed
        threshold = s.threshold
        betaFinal = s.betaFinal
        gateChannels = graph.gateChannels
        normalization = ["mean": trainer.trainSource.normalization.mean, "std": trainer.trainSource.normalization.std]
        self.augmentation = ["crop_padding": augmentation.cropPadding, "horizontal_flip": augmentation.horizontalFlip ? 1 : 0]
        data = Self.dataFiles
        groups = Dictionary(uniqueKeysWithValues: ParameterTable(graph).specs.map { ($0.name, $0.group.rawValue) })
        weightsMetadata = trainer.weightsMetadata
        plans = (0..<schedule.totalEpochs).map { schedule.torchPlan(epoch: $0) }
    }

    /// Writes model.py, the trainer, job.json and (unless already there) the data into `directory`.
    func write(to directory: String, graph: Graph, trainer: Trainer) throws {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        try FileManager.default.createDirectory(atPath: path("data"), withIntermediateDirectories: true)
        try writeAtomically([UInt8](PyTorchModel.generate(graph).utf8), to: path("model.py"))
        try writeAtomically([UInt8](TorchTrainerScript.source.utf8), to: path(TorchTrainerScript.fileName))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeAtomically([UInt8](try encoder.encode(self)), to: path("job.json"))
        for (split, dataset) in [("train", trainer.trainSource.dataset), ("test", trainer.testSource.dataset)] {
            let images = path(Self.dataFiles["\(split)_images"]!), labels = path(Self.dataFiles["\(split)_labels"]!)
            if !FileManager.default.fileExists(atPath: labels) {
                try writeAtomically(NPY.encode(bytes: dataset.images, shape: [dataset.count, dataset.channels, dataset.height, dataset.width]), to: images)
                try writeAtomically(NPY.encode(bytes: dataset.labels.map { UInt8(truncatingIfNeeded: $0) }, shape: [dataset.count]), to: labels)
            }
        }
    }
}

extension DNALSchedule {
    /// Global epoch `e`'s plan for the Python trainer: `plan(epoch:)` plus what `begin`,
    /// `addLossTerms`, `afterStep` and `record` do in that epoch.
    func torchPlan(epoch e: Int) -> TorchJob.Plan {
        let p = plan(epoch: e)
        let rate = p.learningRateSchedule.epoch(p.epoch, of: p.epochs)
        return TorchJob.Plan(
            phase: p.phase, epoch: p.epoch, epochs: p.epochs, gateMode: p.gate.mode.rawValue, beta: Double(p.gate.beta),
            recordBeta: recordBeta(p),
            stepping: p.stepping.map(\.rawValue).sorted(), learningRate: p.learningRate * rate.factor,
            cosine: rate.cosine.map { [$0.start, $0.horizon] }, betaRampTo: p.betaRampTo,
            weightDecay: p.weightDecay, tracksBest: p.tracksBest, resetAlpha: p.phase == 2 && p.epoch == 0,
            regulariser: regulariserWeight(p), weightMasks: p.phase == 3)
    }
}
