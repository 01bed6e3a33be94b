import DNALCore
import DNALRuntime
import Foundation

/// A run's state after a whole epoch: every parameter and buffer (safetensors) with the
/// progress in its metadata, so one atomic file is either the old checkpoint or the new one.
/// Momentum is reset every epoch (as in the reference), so no optimizer state is needed for a
/// resumed run to match an uninterrupted one bit for bit.
public struct Checkpoint: Codable, Equatable, Sendable {
    /// Epochs completed over all phases.
    public var epochsDone: Int
    /// The executor's dropout generator.
    public var random: SeededRandom
    public var records: [EpochRecord]
    public var bestTop1: Double?
    /// The schedule's own state (`TrainingSchedule.savedState`), e.g. a budget search's lambda.
    public var schedule: String?

    /// Writes the store and this state (plus `metadata`) to `path`.
    func write(_ store: ParameterStore, to path: String, metadata: [String: String] = [:]) throws {
        let state = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        try store.save(to: path, metadata: metadata.merging(["dnalc.checkpoint": state]) { _, new in new })
    }

    /// Reads a checkpoint into `store` and returns its state.
    static func read(from path: String, into store: ParameterStore) throws -> Checkpoint {
        let file = try SafeTensors.read(path)
        guard let text = file.metadata["dnalc.checkpoint"],
              let state = try? JSONDecoder().decode(Checkpoint.self, from: Data(text.utf8)) else {
            throw SearchError("\(path) is not a dnalc search checkpoint (its run state is missing or damaged)")
        }
        try store.importTensors(file.tensors, source: path)
        return state
    }
}
