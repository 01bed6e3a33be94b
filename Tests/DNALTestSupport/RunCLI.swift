import Foundation

/// The result of running the `dnalc` binary.
public struct CLIResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the built `dnalc` (next to the test bundle) with `arguments`, from the repository root.
/// Output goes through temporary files, so large outputs cannot dead-lock on a full pipe.
public func runDNALC(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = dnalcBinary()
    process.arguments = arguments
    process.currentDirectoryURL = Repository.root
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
    guard FileManager.default.createFile(atPath: out.path, contents: nil),
          FileManager.default.createFile(atPath: err.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: dir.path])
    }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus,
                     stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// The `dnalc` executable of this build: beside the test runner, else in .build/debug.
public func dnalcBinary() -> URL {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var candidates = [runner.deletingLastPathComponent().appendingPathComponent("dnalc")]
    var dir = runner.deletingLastPathComponent()
    while dir.path != "/" {
        candidates.append(dir.appendingPathComponent("dnalc"))
        if dir.lastPathComponent.hasSuffix(".xctest") { candidates.append(dir.deletingLastPathComponent().appendingPathComponent("dnalc")) }
        dir.deleteLastPathComponent()
    }
    candidates.append(Repository.root.appendingPathComponent(".build/debug/dnalc"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
}
