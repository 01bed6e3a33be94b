import DNALTestSupport
import Foundation
import Testing
@testable import DNALSyntax

/// Grammar.md is the DSL's single source of truth: its tables must list exactly what the parser knows.
@Suite("Grammar.md")
struct GrammarDocumentTests {
    let text: String

    init() throws {
        text = try String(contentsOf: Repository.root.appendingPathComponent("Grammar.md"), encoding: .utf8)
    }

    /// The table rows (cells) of the section whose heading starts with `heading`.
    func rows(under heading: String) -> [[String]] {
        guard let start = text.range(of: "\n" + heading) else { return [] }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return rest[..<end].split(separator: "\n")
            .filter { $0.hasPrefix("| `") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func firstCode(_ cell: String) -> String? {
        guard let a = cell.firstIndex(of: "`") else { return nil }
        let rest = cell[cell.index(after: a)...]
        return rest.firstIndex(of: "`").map { String(rest[..<$0]) }
    }

    /// Backticked words followed by " (": the keys of a keys cell (values in parentheses are not).
    func keys(_ cell: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "`([a-z_]+)` \\(")
        let ns = cell as NSString
        return regex.matches(in: cell, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    @Test func opTableListsExactlyTheParsersOpsAndKeys() {
        let table = rows(under: "## 4. Op table")
        let documented = Dictionary(uniqueKeysWithValues: table.compactMap { row in firstCode(row[0]).map { ($0, keys(row[1])) } })
        #expect(documented.keys.sorted() == Schema.opNames)
        for (op, expected) in Schema.opKeys {
            #expect(documented[op] == expected, "Grammar.md keys of \(op)")
        }
    }

    @Test func headerAndSearchTablesListExactlyTheParsersKeys() {
        #expect(rows(under: "## 2. Header keys").compactMap { firstCode($0[0]) } == Schema.headerKeys)
        #expect(rows(under: "## 9. The search section").compactMap { firstCode($0[0]) } == Schema.searchKeys)
    }
}
