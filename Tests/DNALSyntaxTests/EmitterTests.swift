import DNALCore
import DNALTestSupport
import Foundation
import Testing
@testable import DNALSyntax

@Suite("Emitter")
struct EmitterTests {
    @Test("parse(emit(g)) == g and emitting is byte-stable", arguments: Repository.allArchitectures())
    func architectures(file: URL) throws {
        let g = try NetworkParser.parse(file: file.path)
        let text = Emitter.emit(g, comments: ["emitted from \(file.lastPathComponent)"])
        let again = try NetworkParser.parse(source: Array(text.utf8), file: "emitted.yaml")
        #expect(again == g)
        #expect(Emitter.emit(again, comments: ["emitted from \(file.lastPathComponent)"]) == text)
    }

    @Test("generated networks round-trip", arguments: 0..<100)
    func generated(seed: Int) throws {
        let g = try parse(RandomNetwork(seed: UInt64(seed)).yaml)
        let text = Emitter.emit(g)
        #expect(try parse(text) == g, "\(text)")
    }

    @Test func canonicalForm() throws {
        let g = try parse(network("""
              - conv: {name: c, out: 4, bn: {eps: 0.001}, gate: true, act: relu}
              - residual: {name: r, branch: [conv: {name: a, out: 8, stride: 2, bias: true}], shortcut: zeropad, act: relu6}
              - gap
              - linear: {name: fc, out: 2}

            """, extra: "search: {lambda: 0.05, epochs: [1, 2, 3]}\n"))
        #expect(Emitter.emit(g, comments: ["a comment"]) == """
            # a comment
            network: t
            input: [3, 8, 8]
            classes: 2
            search:
              lambda: 0.05
              epochs: [1, 2, 3]
            layers:
              - conv: {name: c, out: 4, kernel: 3, stride: 1, padding: 1, bn: {eps: 0.001}, gate: true, act: relu}
              - conv: {name: r.a, out: 8, kernel: 3, stride: 2, padding: 1, bias: true}
              - zeropad: {name: r.shortcut, out: 8, stride: 2, offset: 2, from: c.act}
              - add: {name: r.add, role: residual, from: [r.a, r.shortcut]}
              - relu6: {name: r.act}
              - gap: {name: gap1}
              - linear: {name: fc, out: 2}

            """)
    }

    @Test func scalarsThatLookLikeOtherTypesAreQuoted() {
        #expect(Emitter.scalar("stem.act") == "stem.act")
        #expect(Emitter.scalar("true") == "'true'")
        #expect(Emitter.scalar("12") == "'12'")
        #expect(Emitter.scalar("it's") == "'it''s'")
        #expect(Emitter.scalar("a b") == "'a b'")
    }
}
