import Foundation
import PackagePlugin

/// Stamps the git commit dnalc is built from into the target (`GeneratedCommit.hash`), so that
/// `dnalc --version` and every run's config.json name it. It runs git before every build and
/// rewrites the file only when the commit changes; outside a git checkout (or without git) the
/// commit is "unknown". A "+" marks a build from a checkout with uncommitted changes to tracked files.
@main
struct CommitStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.pluginWorkDirectoryURL.appending(path: "generated")
        let file = directory.appending(path: "GeneratedCommit.swift").path
        let root = context.package.directoryURL.path
        let script = """
            mkdir -p '\(directory.path)'
            c=$(git -C '\(root)' rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$c" != unknown ] && [ -n "$(git -C '\(root)' status --porcelain --untracked-files=no 2>/dev/null | head -1)" ]; then c="$c+"; fi
            text="/// The git commit this build of dnalc came from (written by the CommitStamp plugin).
            enum GeneratedCommit { static let hash = \\"$c\\" }"
            [ -f '\(file)' ] && [ "$(cat '\(file)')" = "$text" ] || printf '%s\\n' "$text" > '\(file)'
            """
        return [.prebuildCommand(displayName: "Stamping the git commit into \(target.name)",
                                 executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script],
                                 outputFilesDirectory: directory)]
    }
}
