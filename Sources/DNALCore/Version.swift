/// dnalc's release and the git commit it was built from, as `dnalc --version` prints them and
/// every run's config.json records them.
public enum DNALCVersion {
    public static let string = "0.1.0"
    /// The short commit hash (with "+" when tracked files had uncommitted changes), or "unknown"
    /// for a build outside a git checkout.
    public static let commit = GeneratedCommit.hash
    /// "0.1.0 (commit 0123456789ab)".
    public static var full: String { "\(string) (commit \(commit))" }
}
