import DNALRuntime
import Foundation

/// One row of `log.csv`: what an epoch did.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var phase: Int
    /// Epoch within the phase, from 1.
    public var epoch: Int
    public var beta: Double
    /// Mean training loss (phase 2: cross-entropy plus the regulariser).
    public var loss: Double
    public var test: Evaluation
    /// Gate channels that binarising now would keep (sigmoid(beta_final * alpha) > threshold,
    /// and the mask), of all.
    public var openGates: Int
    public var gates: Int
    /// Cost (dnal convention) under the soft gates sigmoid(beta * alpha), and of the network that
    /// binarising now would give.
    public var expectedFLOPs: Int
    public var hardFLOPs: Int
    public var hardParams: Int
    public var seconds: Double
    /// The regulariser's weight at the end of a phase-2 epoch (a budget search steers it); nil
    /// in phases 1 and 3, where no regulariser applies.
    public var lambda: Double?
    /// The loss's two parts, means over the epoch: cross-entropy and the regulariser term
    /// lambda * sum(sigmoid(alpha)) (0 outside phase 2), and the learning rate of the epoch's last
    /// step. Absent in records written before they were kept.
    public var crossEntropy: Double?
    public var regulariser: Double?
    public var learningRate: Double?

    static let header = "phase,epoch,beta,loss,top1,top5,open_gates,expected_flops,hard_flops,hard_params,lambda,cross_entropy,regulariser,lr,seconds"

    var csv: String {
        [String(phase), String(epoch), String(beta), String(format: "%.6f", loss), String(format: "%.2f", test.top1),
         String(format: "%.2f", test.top5), String(openGates), String(expectedFLOPs), String(hardFLOPs), String(hardParams),
         lambda.map { String($0) } ?? "", crossEntropy.map { String(format: "%.6f", $0) } ?? "",
         regulariser.map { String(format: "%.6f", $0) } ?? "", learningRate.map { String(format: "%.6g", $0) } ?? "",
         String(format: "%.2f", seconds)].joined(separator: ",")
    }
}

extension EpochRecord {
    static let trainingHeader = "epoch,loss,lr,top1,top5,seconds"

    /// A `dnalc train` row: no phases, gates or costs, which plain training does not change.
    var trainingCSV: String {
        [String(epoch), String(format: "%.6f", loss), learningRate.map { String(format: "%.6g", $0) } ?? "",
         String(format: "%.2f", test.top1), String(format: "%.2f", test.top5), String(format: "%.2f", seconds)].joined(separator: ",")
    }
}

/// Which columns `log.csv` has.
public enum LogFormat: Sendable {
    /// A search's: phase, beta, the loss and its parts, accuracy, gates and costs.
    case search
    /// Plain training's: epoch, loss, rate, accuracy.
    case training
}

extension Array where Element == EpochRecord {
    /// The whole `log.csv`, written atomically after every epoch.
    func writeCSV(to path: String, format: LogFormat = .search) throws {
        let rows = format == .search ? [EpochRecord.header] + map(\.csv) : [EpochRecord.trainingHeader] + map(\.trainingCSV)
        try writeAtomically([UInt8]((rows.joined(separator: "\n") + "\n").utf8), to: path)
    }
}
