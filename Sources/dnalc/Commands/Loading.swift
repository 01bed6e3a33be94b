import ArgumentParser
import DNALCore
import DNALData
import DNALRuntime
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
