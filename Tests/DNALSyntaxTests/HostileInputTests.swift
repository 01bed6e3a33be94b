import DNALCore
import Foundation
import Testing
@testable import DNALSyntax

/// Inputs built to overflow or exhaust the front end: each is an error naming the file, line and
/// value, never a trap or a stack overflow.
@Suite("Hostile input")
struct HostileInputTests {
    @Test("arithmetic edges", arguments: [
        ("(-9223372036854775807 - 1) // -1", "integer overflow"),
        ("(-9223372036854775807 - 1) % -1", "integer overflow"),
        ("divisible(1e30, 8)", "divisible(1e+30, 8.0) is not a representable integer"),
        ("divisible(8, 1e30)", "divisible() needs a divisor below 1e15, got 1e+30"),
        ("int(1e300)", "int() result 1e+300 is not a representable integer"),
    ])
    func arithmeticEdges(text: String, message: String) {
        do {
            _ = try Expression.parse(text).evaluate([:])
            Issue.record("'\(text)' evaluated")
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func integerFloorDivisionIsExact() throws {
        #expect(try Expression.parse("9007199254740993 // 1").evaluate([:]) == .int(9_007_199_254_740_993))
        #expect(try Expression.parse("-7 % 3").evaluate([:]) == .int(2))
        #expect(try Expression.parse("7 % -3").evaluate([:]) == .int(-2))
        #expect(try Expression.parse("max(9223372036854775807, 1)").evaluate([:]) == .int(Int.max))
    }

    @Test func deepOrLongExpressionsAreRefused() {
        func paren(_ n: Int) -> String { String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) }
        let depth = "nests deeper than \(YAMLReader.maxDepth) levels", size = "longer than \(Expression.maxTokens) tokens"
        for (text, message) in [(paren(50_000), size), (paren(200), depth),
                                ((0..<60_000).map { _ in "1" }.joined(separator: " + "), size),
                                (String(repeating: "-", count: 50_000) + "1", size), (String(repeating: "-", count: 300) + "1", depth),
                                (String(repeating: "not ", count: 300) + "true", depth)] {
            let error = firstError(network("  - conv: {out: \"${\(text)}\"}\n  - gap\n  - linear: {out: 2}\n"))
            #expect(error.hasPrefix("t.yaml:5:") && error.contains(message), "\(error.prefix(200))")
        }
    }

    @Test("oversized layers", arguments: [
        ("  - conv: {out: 9223372036854775807}\n", "[3, 8, 8]", 5, "conv 'out' of 9223372036854775807 is larger than 16777216"),
        ("  - conv: {out: 4, padding: 9223372036854775807}\n", "[3, 8, 8]", 5, "conv 'padding' of 9223372036854775807 is larger than 16777216"),
        ("  - conv: {out: 4, kernel: 99999999}\n", "[3, 8, 8]", 5, "conv 'kernel' of 99999999 is larger than 16777216"),
        ("  - zeropad: {out: 9223372036854775807}\n", "[3, 8, 8]", 5, "zeropad 'out' of 9223372036854775807 is larger than 16777216"),
        ("  - conv: {out: 16000000, kernel: 1}\n", "[3, 512, 512]", 5, "conv output of 16000000x512x512 elements per sample exceeds 1099511627776"),
        ("  - conv: {out: 4096, kernel: 1}\n  - conv: {out: 16000000, kernel: 3, padding: 1}\n", "[3, 8, 8]", 6,
         "conv multiply-accumulates per sample exceeds 1099511627776"),
    ])
    func oversizedLayers(layers: String, input: String, line: Int, message: String) {
        let error = firstError(network(layers + "  - gap\n  - linear: {out: 2}\n", input: input))
        #expect(error.hasPrefix("t.yaml:\(line):") && error.contains(message), "\(error)")
    }

    @Test func widthDivisorAndMultiplierOverflowsAreRefused() {
        let error = firstError("network: t\ninput: [3, 8, 8]\nclasses: 2\nwidth_multiplier: 16\nwidth_divisor: 9223372036854775807\nlayers:\n  - gap\n  - linear: {out: 2}\n")
        #expect(error == "t.yaml:5:16: error: 'width_divisor' must be at most 1048576, got 9223372036854775807", "\(error)")
    }

    @Test func utf16WithAByteOrderMarkReadsAsItsText() throws {
        let text = network("  - conv: {name: c1, out: 4, kernel: 3}\n  - gap\n  - linear: {out: 2}\n")
        let utf8 = try NetworkParser.parse(source: Array(text.utf8), file: "n.yaml")
        for (bom, bigEndian) in [([UInt8](arrayLiteral: 0xFF, 0xFE), false), ([0xFE, 0xFF], true)] {
            let units = text.utf16.flatMap { u -> [UInt8] in bigEndian ? [UInt8(u >> 8), UInt8(u & 0xFF)] : [UInt8(u & 0xFF), UInt8(u >> 8)] }
            #expect(try NetworkParser.parse(source: bom + units, file: "n.yaml") == utf8)
        }
        // an odd byte count after a UTF-16 mark is not UTF-16
        #expect(throws: Diagnostic.self) { try NetworkParser.parse(source: [0xFF, 0xFE, 0x41], file: "n.yaml") }
    }

    @Test func networkNamesCannotCarryTerminalControlsOrPaths() {
        for name in ["\"evil\\u001b[2J\"", "\"a\\nb\"", "../../etc", "x/y"] {
            let text = "network: \(name)\ninput: [3, 8, 8]\nclasses: 2\nlayers:\n  - gap\n  - linear: {out: 2}\n"
            #expect(firstError(text).contains("invalid network name"), "\(name): \(firstError(text))")
        }
        #expect(!firstError("network: ok-name.v2\ninput: [3, 8, 8]\nclasses: 2\nlayers:\n  - gap\n  - linear: {out: 2}\n").contains("invalid"))
    }
}
