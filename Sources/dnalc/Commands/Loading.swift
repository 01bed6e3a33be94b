import ArgumentParser
import DNALCore
import DNALData
import DNALRuntime
import DNALSearch
import DNALSyntax
import Foundation

/// Parses a network file, or prints its diagnostic (with the source line) and exits 1.
func loadNetwork(_ path: String) throws -> Graph {
    do {
        return try NetworkParser.parse(file: path)
    } catch {
        let source = (try? NetworkParser.readSource(path)).map { String(decoding: $0, as: UTF8.self) }
        printError(error.rendered(source: source))
        throw ExitCode(1)
    }
}

/// Writes `text` and a newline to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Loads a weights file into `executor`'s parameters (every name and shape checked) and returns
/// the input normalisation recorded in it, if any, checked against the network's input channels.
func loadWeights(_ path: String, into executor: Executor) throws -> Normalization? {
    let file = try SafeTensors.read(path)
    try executor.parameters.importTensors(file.tensors, source: path)
    let normalization = try Normalization(metadata: file.metadata, source: path)
    let channels = executor.graph.inputShape.channels
    if let normalization, normalization.mean.count != channels {
        throw DataError("\(path): its recorded input normalisation has \(normalization.mean.count) channels, '\(executor.graph.name)' takes \(channels)")
    }
    return normalization
}

/// The errors dnalc's libraries raise for bad input (a network, data, weights, settings): each
/// says what is wrong, so the command prints it and exits 1 rather than a stack of types.
protocol UserFacingError: Error { var message: String { get } }
extension GraphError: UserFacingError {}
extension SearchError: UserFacingError {}
extension DataError: UserFacingError {}
extension RuntimeError: UserFacingError {}

/// Runs a command's body; a `UserFacingError` becomes `error: MESSAGE` on standard error and exit 1.
func exitingOnUserError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as UserFacingError {
        printError("error: \(error.message)")
        throw ExitCode(1)
    }
}

/// An executor for inference with `graph` and its weights: hard gates (the masks the weights
/// hold), as eval, predict and export run networks. Returns the weights' recorded normalisation.
func inferenceExecutor(_ graph: Graph, weights: String, batch: Int = 1, threads: Int = 1) throws -> (Executor, Normalization?) {
    let executor = try Executor(graph: graph, maxBatch: batch, training: false, threads: threads)
    let normalization = try loadWeights(weights, into: executor)
    executor.gate = Gate(mode: .hard)
    return (executor, normalization)
}

/// Refuses an output path whose folder does not exist (or is not a folder), naming the flag and
/// the folder, before any work is done.
func checkWritable(_ path: String, flag: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    if folder.isEmpty { return }
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
        throw DataError("\(flag) \(path): the folder '\(folder)' does not exist")
    }
    guard isDirectory.boolValue else { throw DataError("\(flag) \(path): '\(folder)' is a file, not a folder") }
}
