import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a run directory, held for the run's life, so that a second dnalc cannot
/// train in the same directory at the same time (both would write config.json, checkpoints and
/// reports, and the files would end up from different runs). flock(2) locks are released by the
/// kernel when the holder dies, so a killed run never leaves a stale lock; the file keeps the
/// holder's pid for the message.
final class RunLock {
    private let fd: Int32

    static let fileName = ".dnalc.lock"

    /// Takes the lock of run directory `directory` (which must exist; the lock file sits in its
    /// `checkpoints`, created if needed), or throws naming the process that holds it.
    init(_ directory: String) throws {
        let checkpoints = (directory as NSString).appendingPathComponent("checkpoints")
        try RunDirectory.prepare(checkpoints)
        let path = (checkpoints as NSString).appendingPathComponent(Self.fileName)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SearchError("cannot lock the run directory '\(directory)': \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw SearchError("'\(directory)' is in use by another dnalc\(holder.isEmpty ? "" : " (pid \(holder))"); wait for it to finish, or choose another --out")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Removes what killed writes left: `writeAtomically`'s `.NAME.tmp-PID` files in `directory`
    /// and its checkpoints. Only called with the lock held, so no live writer owns them.
    static func removeStaleTemporaries(in directory: String) {
        for folder in [directory, (directory as NSString).appendingPathComponent("checkpoints")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
            }
        }
    }
}
