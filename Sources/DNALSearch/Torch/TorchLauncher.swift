import Foundation

/// How a run on the PyTorch backend is launched: the interpreter, the process count and device,
/// and for several machines torchrun's rendezvous. Recorded in config.json so `--resume` launches
/// the same way.
public struct TorchSettings: Codable, Sendable, Equatable {
    /// The Python interpreter that has torch (`--python`).
    public var python: String
    /// Processes per machine (`--nproc`).
    public var processes: Int
    /// "cpu" or "cuda".
    public var device: String
    /// Machines (`--nnodes`) and the rendezvous address of the first (`--rdzv-endpoint`), for
    /// runs across machines; one machine uses torchrun's standalone mode.
    public var nodes: Int
    public var rendezvous: String?

    public init(python: String = "python3", processes: Int = 1, device: String = "cpu", nodes: Int = 1, rendezvous: String? = nil) {
        self.python = python
        self.processes = processes
        self.device = device
        self.nodes = nodes
        self.rendezvous = rendezvous
    }

    /// Every process, on every machine.
    public var worldSize: Int { processes * nodes }

    /// The torchrun command (as `python -m torch.distributed.run`, so it is the interpreter's own)
    /// that runs the job in `jobDirectory`.
    public func command(jobDirectory: String) -> [String] {
        var args = [python, "-m", "torch.distributed.run"]
        if nodes > 1 {
            args += ["--nnodes", String(nodes), "--rdzv-backend", "c10d", "--rdzv-endpoint", rendezvous ?? "HOST:29400"]
        } else {
            args += ["--standalone"]
        }
        args += ["--nproc_per_node", String(processes),
                 (jobDirectory as NSString).appendingPathComponent(TorchTrainerScript.fileName),
                 (jobDirectory as NSString).appendingPathComponent("job.json")]
        return args
    }
}

/// Runs Python: checks that torch is there (and CUDA, when asked for), and launches the trainer
/// under torchrun, handing its progress lines to the caller.
public enum TorchLauncher {
    /// torch's version, or an error saying in one line what is missing and how to get it.
    @discardableResult
    public static func probe(_ settings: TorchSettings) throws -> String {
        let check = "import torch, sys; print(torch.__version__, torch.cuda.is_available(), torch.distributed.is_available())"
        let result: (status: Int32, output: String)
        do {
            result = try capture([settings.python, "-c", check])
        } catch {
            throw SearchError("cannot run the Python interpreter '\(settings.python)' (\(error.localizedDescription)); give one that has torch with --python")
        }
        guard result.status != 127 else {
            throw SearchError("cannot run the Python interpreter '\(settings.python)': not found; give one that has torch with --python")
        }
        guard result.status == 0 else {
            throw SearchError("'\(settings.python)' cannot import torch; install it (pip install torch, or the CPU wheel: pip install torch --index-url https://download.pytorch.org/whl/cpu) or give another interpreter with --python")
        }
        let fields = result.output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard fields.count == 3 else { throw SearchError("'\(settings.python)' printed an unexpected torch check: \(result.output)") }
        if settings.device == "cuda" && fields[1] != "True" {
            throw SearchError("--device cuda: torch \(fields[0]) in '\(settings.python)' sees no CUDA device; use --device cpu or a CUDA build of torch")
        }
        if fields[2] != "True" { throw SearchError("torch \(fields[0]) in '\(settings.python)' was built without torch.distributed") }
        return fields[0]
    }

    /// Runs `arguments`, returning its exit status and standard output.
    static func capture(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs the job under torchrun. Each line the trainer prints reaches `onLine`; its standard
    /// error goes to `log` (a Python traceback is not for the terminal). Returns the exit status.
    static func run(_ settings: TorchSettings, jobDirectory: String, threadsPerProcess: Int, log: String,
                    onLine: (String) -> Void) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let command = settings.command(jobDirectory: jobDirectory)
        process.arguments = [command[0], "-c", orphanGuard] + command.dropFirst(3)
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_NUM_THREADS"] = String(threadsPerProcess)
        environment["PYTHONUNBUFFERED"] = "1"
        environment["DNALC_PROTOCOL"] = "1"  // progress as JSON lines, for `TorchSearch.handle`
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        guard FileManager.default.createFile(atPath: log, contents: nil), let errors = FileHandle(forWritingAtPath: log) else {
            throw SearchError("cannot write '\(log)'")
        }
        defer { try? errors.close() }
        process.standardError = errors
        try process.run()
        var pending = Data()
        let reader = pipe.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending = Data(pending[(newline + 1)...])
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts torchrun (the arguments after the script) so that it is stopped if dnalc dies: on
    /// Linux the kernel sends it SIGTERM when its parent exits (PR_SET_PDEATHSIG survives exec),
    /// and torchrun then stops its workers. Without it a killed dnalc would leave a trainer
    /// writing into a run directory that a `--resume` may already be continuing.
    static let orphanGuard = """
        import ctypes, os, sys
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
        os.execv(sys.executable, [sys.executable, "-m", "torch.distributed.run"] + sys.argv[1:])
        """

    /// The line of a failed run's log that says why: the trainer's own `error:` line, else the
    /// last exception line of a traceback, else the last line.
    static func reason(inLog log: String) -> String {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        if let own = lines.first(where: { $0.hasPrefix("error: ") }) { return String(own.dropFirst("error: ".count)) }
        // the first exception is the worker's; torchrun's own ChildFailedError follows it
        if let exception = lines.first(where: { $0.range(of: #"^[A-Za-z_.]+(Error|Exception|Exit)\b"#, options: .regularExpression) != nil
                                                 && !$0.contains("ChildFailedError") }) {
            return exception
        }
        return rootCause(lines) ?? lines.last ?? "no output"
    }

    /// What torchrun's failure summary says of the first process that failed, when it left no
    /// traceback (killed by a signal, or a bare exit code): "process rank 1 was killed by
    /// signal 11 (SIGSEGV)". nil when the log has no such summary.
    static func rootCause(_ lines: [String]) -> String? {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Root Cause") }) else { return nil }
        var fields: [String: String] = [:]
        for line in lines[start...] {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        let rank = fields["rank"].map { "process rank " + ($0.split(separator: " ").first.map(String.init) ?? $0) } ?? "a process"
        if let traceback = fields["traceback"], let signal = traceback.range(of: #"^Signal \d+ \([A-Z0-9]+\)"#, options: .regularExpression) {
            return "\(rank) was killed by s\(traceback[signal].dropFirst())"
        }
        if let code = fields["exitcode"]?.split(separator: " ").first { return "\(rank) exited with code \(code)" }
        return nil
    }
}
