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

    /// The ```yaml blocks of Grammar.md, in order.
    var yamlExamples: [String] {
        text.components(separatedBy: "```yaml\n").dropFirst().map { String($0.components(separatedBy: "```")[0]) }
    }

    /// Every YAML example parses: the file at a glance as it is, the template inside a network that
    /// uses it, and the canonical-form excerpt (completed with a head) exactly as the emitter writes it.
    @Test func everyYAMLExampleParses() throws {
        let examples = yamlExamples
        #expect(examples.count == 3, "Grammar.md's YAML examples changed: update this test")
        let glance = try NetworkParser.parse(source: Array(examples[0].utf8), file: "Grammar.md example 1")
        #expect(glance.name == "resnet20-cifar10" && glance.nodes.count > 50)

        let template = "network: t\ninput: [8, 8, 8]\nclasses: 10\n" + examples[1]
            + "layers:\n  - inverted: {name: b, t: 6, out: 16}\n  - gap: {name: pool}\n  - linear: {name: fc, out: 10}\n"
        let t = try NetworkParser.parse(source: Array(template.utf8), file: "Grammar.md example 2")
        #expect(t.node(named: "b.expand")?.shape.channels == 48 && t.node(named: "b.dw.gate") != nil)

        let canonical = examples[2] + "  - gap: {name: pool}\n  - linear: {name: fc, out: 10}\n"
        let c = try NetworkParser.parse(source: Array(canonical.utf8), file: "Grammar.md example 3")
        let emitted = Emitter.emit(c)
        for line in examples[2].split(separator: "\n") where !line.hasPrefix("#") {
            #expect(emitted.contains(line + "\n"), "the canonical form example's line is not what the emitter writes: \(line)")
        }
    }
}
