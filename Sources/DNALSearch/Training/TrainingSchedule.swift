import DNALCore
import DNALRuntime
import Foundation

/// What one epoch of training does: how the gates act, which parameter groups are frozen and
/// which the optimiser steps, the learning rate and weight decay. A `TrainingSchedule` gives one
/// per epoch; the `Trainer` carries it out.
public struct EpochPlan: Sendable, Equatable {
    /// How the logs number the epoch's phase (DNAL's 1-3; plain training is phase 3, fine-tuning).
    public var phase: Int
    /// The epoch within its phase, from 0, and the phase's length.
    public var epoch: Int
    public var epochs: Int
    public var gate: Gate
    /// Groups whose gradients are not computed (their weight-gradient kernels are skipped).
    public var frozen: Set<ParameterGroup>
    /// Groups the optimiser updates.
    public var stepping: Set<ParameterGroup>
    /// The phase's base rate and how it moves within the phase.
    public var learningRate: Double
    public var learningRateSchedule: LearningRateSchedule
    public var weightDecay: Double
    /// Whether this epoch's test top-1 competes for `checkpoints/best.safetensors`.
    public var tracksBest: Bool
    /// Under the `step` beta schedule, the beta phase 2 rises to: beta then moves every step
    /// (`gateBeta`); nil keeps `gate.beta` for the whole epoch.
    public var betaRampTo: Double? = nil

    /// The rate at batch `b` of `batches` in this epoch.
    public func learningRate(batch b: Int, batches: Int) -> Double {
        learningRateSchedule.rate(base: learningRate, epoch: epoch, of: epochs, batch: b, batches: batches)
    }

    /// The gates' beta at batch `b` of `batches` in this epoch.
    public func gateBeta(batch b: Int, batches: Int) -> Float {
        guard let final = betaRampTo else { return gate.beta }
        return Float(Gate.beta(step: epoch * batches + b, of: epochs * batches, betaFinal: final))
    }
}

/// A training recipe the `Trainer` follows epoch by epoch: plain training (`FineTuneSchedule`) or
/// DNAL's three phases (`DNALSchedule`). The trainer owns the loop, the data, the optimiser,
/// checkpoints and the log; the schedule says what each epoch does and what the run leaves behind.
public protocol TrainingSchedule: AnyObject {
    /// Epochs of the whole run.
    var totalEpochs: Int { get }
    /// The plan of global epoch `epoch` (from 0).
    func plan(epoch: Int) -> EpochPlan
    /// Prepares the parameters before the epoch's first batch (the trainer has already set the
    /// executors' gate and frozen groups). Also called for an epoch a resumed run continues in.
    func begin(_ plan: EpochPlan, trainer: Trainer) throws
    /// Adds the gradients of the schedule's own loss terms after the backward pass; returns
    /// their value, which the epoch's loss includes.
    func addLossTerms(_ plan: EpochPlan, trainer: Trainer) -> Double
    /// After every optimiser step.
    func afterStep(_ plan: EpochPlan, trainer: Trainer)
    /// The epoch's log record.
    func record(_ plan: EpochPlan, loss: Double, test: Evaluation, trainer: Trainer) -> EpochRecord
    /// After the epoch's checkpoint and log are written.
    func endEpoch(_ plan: EpochPlan, trainer: Trainer) throws
    /// After the last epoch: writes what the run leaves (weights, masks, reports) and returns the report.
    func finish(_ state: Checkpoint, seconds: Double, trainer: Trainer) throws -> SearchReport
    /// The schedule's own state for a checkpoint (JSON), or nil when it keeps none.
    func savedState() throws -> String?
    /// Restores what `savedState` gave, when a run resumes.
    func restore(_ state: String?) throws
    /// The columns of the run's `log.csv`.
    var logFormat: LogFormat { get }
}

extension TrainingSchedule {
    public func savedState() throws -> String? { nil }
    public func restore(_ state: String?) throws {}
    public var logFormat: LogFormat { .search }
}
