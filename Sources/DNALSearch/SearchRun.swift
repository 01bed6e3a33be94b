import DNALCore
import DNALData
import DNALRuntime
import Foundation

/// One DNAL search in a run directory: a `Trainer` following a `DNALSchedule`. The library's entry
/// point for a search whose data is already loaded (`RunDirectory` opens one from a command line).
public final class SearchRun {
    public let trainer: Trainer
    public let schedule: DNALSchedule

    public var graph: Graph { trainer.graph }
    public var settings: SearchSettings { schedule.settings }
    public var directory: String { trainer.directory }
    /// The training executor, which owns the parameters.
    public var train: Executor { trainer.train }

    /// Called after every epoch with its record (`Trainer.onEpoch`).
    public var onEpoch: (EpochRecord) -> Void {
        get { trainer.onEpoch }
        set { trainer.onEpoch = newValue }
    }
    /// Polled between batches; true stops the run, keeping the last checkpoint (`Trainer.shouldStop`).
    public var shouldStop: () -> Bool {
        get { trainer.shouldStop }
        set { trainer.shouldStop = newValue }
    }

    /// See `Trainer.init` for `normalization` and `initialWeights`.
    public init(graph: Graph, data: DataSplits, settings: SearchSettings, directory: String, threads: Int,
                normalization: Normalization? = nil,
                initialWeights: (tensors: [String: SafeTensors.Tensor], source: String)? = nil) throws {
        schedule = try DNALSchedule(graph: graph, settings: settings)
        trainer = try Trainer(graph: graph, data: data, settings: RunRecipe.search(settings).trainer, directory: directory,
                              threads: threads, normalization: normalization, initialWeights: initialWeights)
    }

    /// Runs (or, with `resume`, continues) the search; returns the report it also writes.
    public func run(resume: Bool) throws -> SearchReport { try trainer.run(schedule, resume: resume) }

    /// Sets the gates, frozen groups and beta for epoch `epoch` of `phase`, as the run does when
    /// that epoch starts.
    func configure(phase: Int, epoch: Int) throws {
        try trainer.begin(schedule.plan(phase: phase, epoch: epoch), schedule: schedule)
    }

    /// Adds the regulariser's gradient to every alpha's; returns its value.
    func addRegulariser() -> Double { schedule.addRegulariser(train.parameters) }

    /// Binarises the gates into their masks.
    func deriveMasks() { schedule.deriveMasks(train.parameters) }
}
