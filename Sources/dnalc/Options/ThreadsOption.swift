import ArgumentParser
import Foundation

/// `--threads`, shared by the commands that run the engine (`@OptionGroup var workers`).
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads, every core of this machine by default. Results are reproducible for a given thread count.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}
