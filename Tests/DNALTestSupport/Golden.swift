import Foundation

/// Golden-file comparison. Set `DNALC_RECORD_GOLDEN=1` to (re)write the files instead of comparing.
public enum Golden {
    /// Whether this run records goldens.
    public static var recording: Bool { ProcessInfo.processInfo.environment["DNALC_RECORD_GOLDEN"] == "1" }

    /// Compares `actual` with the file at `url`, or writes it when recording.
    /// Returns nil on match (or after recording), else a message with the first differing line.
    public static func check(_ actual: String, against url: URL) -> String? {
        if recording {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            do { try actual.write(to: url, atomically: true, encoding: .utf8) } catch { return "cannot record \(url.path): \(error)" }
            return nil
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return "missing golden \(url.path); run the tests with DNALC_RECORD_GOLDEN=1 to create it"
        }
        if expected == actual { return nil }
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(a.count, e.count) {
            let al = i < a.count ? String(a[i]) : "<end>"
            let el = i < e.count ? String(e[i]) : "<end>"
            if al != el { return "\(url.lastPathComponent):\(i + 1): expected `\(el)`, got `\(al)`" }
        }
        return "\(url.lastPathComponent) differs"
    }
}
