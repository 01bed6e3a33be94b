import Testing
@testable import DNALSyntax

@Suite("YAML reader")
struct YAMLReaderTests {
    @Test func marksAreOneBasedLineAndColumn() throws {
        let root = try #require(try yaml("a: 1\nlist:\n  - x\n  - {k: v}\n"))
        guard case .mapping(let pairs) = root.kind else { Issue.record("not a mapping"); return }
        #expect(pairs.map(\.name) == ["a", "list"])
        #expect((pairs[0].value.line, pairs[0].value.column) == (1, 4))
        guard case .sequence(let items) = pairs[1].value.kind else { Issue.record("not a list"); return }
        #expect((items[1].line, items[1].column) == (4, 5))
    }

    @Test func quotedScalarsAreNotPlain() throws {
        let root = try #require(try yaml("a: '1'\nb: 1\n"))
        guard case .mapping(let p) = root.kind else { return }
        guard case .scalar("1", let plainA) = p[0].value.kind, case .scalar("1", let plainB) = p[1].value.kind else {
            Issue.record("scalars"); return
        }
        #expect(!plainA && plainB)
    }

    @Test func aliasesAndMergeKeys() throws {
        let root = try #require(try yaml("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\ncopy: *b\n"))
        guard case .mapping(let p) = root.kind, case .mapping(let use) = p[1].value.kind,
              case .mapping(let copy) = p[2].value.kind else { Issue.record("shape"); return }
        #expect(use.map(\.name).sorted() == ["x", "y"])
        #expect(use.first { $0.name == "y" }?.value.scalar == "3")
        #expect(copy.count == 2)
        #expect((p[2].value.line, p[2].value.column) == (3, 7))
    }

    @Test func emptyStreamHasNoRoot() throws {
        #expect(try yaml("") == nil)
        #expect(try yaml("# only a comment\n") == nil)
    }

    @Test("refusals", arguments: [
        ("a: !!python/object:os.system x\n", "y.yaml:1:4: error: YAML tags are not allowed (found 'tag:yaml.org,2002:python/object:os.system'); dnalc reads plain data only"),
        ("a: !custom [1]\n", "y.yaml:1:4: error: YAML tags are not allowed (found '!custom'); dnalc reads plain data only"),
        ("a: 1\nb: 2\na: 3\n", "y.yaml:3:1: error: duplicate key 'a' (first at line 1, column 1)"),
        ("a: 1\n---\nb: 2\n", "y.yaml:2:1: error: a network file holds one YAML document; found a second one"),
        ("a: *nope\n", "y.yaml:1:4: error: unknown alias '*nope'"),
        ("? [a]\n: 1\n", "y.yaml:1:3: error: mapping keys must be plain text, not a list"),
        ("a: {<<: 5}\n", "y.yaml:1:9: error: '<<' merges a mapping, not '5'"),
        ("a: [1, 2\n", "y.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)"),
    ])
    func refusals(text: String, message: String) {
        #expect(throws: Diagnostic.self) { try yaml(text) }
        do { _ = try yaml(text) } catch { #expect(error.description == message) }
    }

    @Test func billionLaughsFailsFast() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let prev = level == 1 ? "a" : "l\(level - 1)"
            text += "l\(level): &l\(level) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ", ") + "]\n"
        }
        do {
            _ = try yaml(text)
            Issue.record("an alias bomb parsed")
        } catch {
            #expect(error.message.contains("expands to more than 2000000 nodes"))
        }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        do {
            _ = try yaml(text)
            Issue.record("deep nesting parsed")
        } catch {
            #expect(error.description == "y.yaml:1:129: error: nesting deeper than 128 levels")
        }
    }
}
