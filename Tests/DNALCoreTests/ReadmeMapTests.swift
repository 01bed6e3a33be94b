import DNALTestSupport
import Foundation
import Testing

/// README.md's stage map must stay true: each target's dependencies as Package.swift declares them,
/// and every file the "where each concept lives" table names.
@Suite("README stage map")
struct ReadmeMapTests {
    let readme: String
    let package: String

    init() throws {
        readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        package = try String(contentsOf: Repository.root.appendingPathComponent("Package.swift"), encoding: .utf8)
    }

    /// Rows of the markdown table that starts with `header`.
    func table(_ header: String) -> [[String]] {
        guard let start = readme.range(of: header) else { return [] }
        return readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
            .prefix { $0.hasPrefix("|") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Test func targetDependenciesMatchPackageSwift() throws {
        let rows = table("| stage | target | depends on |")
        #expect(rows.count >= 12)
        let regex = try NSRegularExpression(pattern: #"\.target\(name: "(\w+)", dependencies: \[([^\]]*)\]"#)
        let ns = package as NSString
        var declared: [String: Set<String>] = [:]
        for m in regex.matches(in: package, range: NSRange(location: 0, length: ns.length)) {
            let deps = ns.substring(with: m.range(at: 2)).split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))}
            declared[ns.substring(with: m.range(at: 1))] = Set(deps.filter { !$0.isEmpty })
        }
        for row in rows where row.count >= 3 {
            let target = row[1].components(separatedBy: "`").dropFirst().first ?? ""
            guard let deps = declared[target] else { continue }
            let documented = Set(row[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                .subtracting(["nothing"])
            #expect(documented == deps, "\(target): README says \(documented.sorted()), Package.swift \(deps.sorted())")
        }
    }

    @Test func everyNamedFileExists() {
        let rows = table("| what | where |")
        #expect(rows.count >= 15)
        for row in rows where row.count >= 2 {
            var folder = ""
            for path in row[1].components(separatedBy: "`").enumerated().filter({ $0.offset % 2 == 1 }).map(\.element) {
                // a bare file name continues the folder of the path before it
                if path.contains("/") { folder = String(path[..<path.lastIndex(of: "/")!]) }
                let full = path.contains("/") ? path : folder + "/" + path
                let url = Repository.root.appendingPathComponent("Sources").appendingPathComponent(full)
                if full.contains("*") {
                    let dir = url.deletingLastPathComponent(), prefix = url.lastPathComponent.components(separatedBy: "*")[0]
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                    #expect(names.contains { $0.hasPrefix(prefix) }, "README names \(full), which matches nothing")
                } else {
                    #expect(FileManager.default.fileExists(atPath: url.path), "README names \(full), which does not exist")
                }
            }
        }
    }
}
