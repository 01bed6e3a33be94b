@testable import DNALSearch
import Foundation
import Testing

/// The one line dnalc prints when the PyTorch trainer fails, taken from trainer.log: the trainer's
/// own error, else the worker's exception, else what torchrun's summary says of the first process
/// that failed (a process killed by a signal leaves no traceback).
@Suite("PyTorch backend: why the trainer failed")
struct TorchFailureReasonTests {
    func reason(_ log: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString).log").path
        try log.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return TorchLauncher.reason(inLog: path)
    }

    /// torchrun's summary after a worker was killed by `signal` (the other one then by SIGTERM),
    /// laid out as torch 2.x lays it out.
    func summary(rootRank: Int, exitcode: String, traceback: String) -> String {
        """
        torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
        ======================================================
        /tmp/job/dnalc_trainer.py FAILED
        ------------------------------------------------------
        Failures:
        [1]:
          time      : 2026-12-03_23:05:50
          host      : localhost
          rank      : \(1 - rootRank) (local_rank: \(1 - rootRank))
          exitcode  : -15 (pid: 2666)  (SIGTERM)
          error_file: <N/A>
          traceback : Signal 15 (SIGTERM) received by PID 2666
        ------------------------------------------------------
        Root Cause (first observed failure):
        [0]:
          time      : 2026-12-03_23:05:50
          host      : localhost
          rank      : \(rootRank) (local_rank: \(rootRank))
          exitcode  : \(exitcode)
          error_file: <N/A>
          traceback : \(traceback)
        ======================================================

        """
    }

    @Test func aSignalNamesTheProcessItKilledNotTheOneTorchrunStopped() throws {
        let log = "Fatal Python error: Segmentation fault\n" + summary(rootRank: 1, exitcode: "-11 (pid: 2667)  (SIGSEGV)",
                                                                      traceback: "Signal 11 (SIGSEGV) received by PID 2667")
        #expect(try reason(log) == "process rank 1 was killed by signal 11 (SIGSEGV)")
    }

    @Test func aBareExitCodeIsReportedAsSuch() throws {
        let log = summary(rootRank: 0, exitcode: "3 (pid: 2667)",
                          traceback: "To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html")
        #expect(try reason(log) == "process rank 0 exited with code 3")
    }

    @Test func theWorkersOwnWordsComeFirst() throws {
        let traceback = "Traceback (most recent call last):\n  File \"dnalc_trainer.py\", line 9, in <module>\nRuntimeError: shapes do not match\n"
        #expect(try reason(traceback + summary(rootRank: 1, exitcode: "1 (pid: 7)", traceback: "To enable traceback")) == "RuntimeError: shapes do not match")
        #expect(try reason("error: the batch (64) must be a multiple of the process count (3)\n") == "the batch (64) must be a multiple of the process count (3)")
    }

    @Test func aLogWithoutASummaryGivesItsLastLine() throws {
        #expect(try reason("something went wrong\nKilled\n") == "Killed")
        #expect(try reason("") == "no output")
    }
}
