import Testing
@testable import DNALSyntax

@Suite("Expressions")
struct ExpressionTests {
    func eval(_ text: String, _ vars: [String: ExpressionValue] = [:]) throws -> ExpressionValue {
        try Expression.parse(text).evaluate(vars)
    }

    @Test("values", arguments: [
        ("1 + 2 * 3", ExpressionValue.int(7)), ("(1 + 2) * 3", .int(9)), ("7 // 2", .int(3)), ("-7 // 2", .int(-4)),
        ("-7 % 3", .int(2)), ("7 / 2", .double(3.5)), ("2 if 1 < 2 else 3", .int(2)), ("1 == 1.0", .bool(true)),
        ("not (1 > 2) and 3 >= 3", .bool(true)), ("max(3, 9, 4)", .int(9)), ("min(2.5, 3)", .double(2.5)),
        ("divisible(32 * 0.75, 8)", .int(24)), ("divisible(3, 8)", .int(8)), ("int(7.9)", .int(7)), ("round(2.5)", .int(2)),
        ("ceil(2.1)", .int(3)), ("floor(-2.1)", .int(-3)), ("abs(-4)", .int(4)), ("1e-3 * 1000", .double(1)),
        ("'relu' == 'relu'", .bool(true)), ("1_000 + 1", .int(1001)),
    ])
    func values(text: String, expected: ExpressionValue) throws {
        #expect(try eval(text) == expected)
    }

    @Test func variablesAndConditionals() throws {
        let vars: [String: ExpressionValue] = ["in": .int(32), "t": .int(6), "stride": .int(1), "i": .int(0)]
        #expect(try eval("in * t", vars) == .int(192))
        #expect(try eval("stride == 1 and in == 32", vars) == .bool(true))
        #expect(try eval("2 if i == 0 else 1", vars) == .int(2))
    }

    @Test("errors", arguments: [
        ("2 +", "the expression ends too early"), ("foo + 1", "unknown name 'foo' in expression"),
        ("strde", "unknown name 'strde' in expression; did you mean 'stride'?"), ("1 / 0", "division by zero"),
        ("4 // 0", "division by zero"), ("9223372036854775807 + 1", "integer overflow"), ("1 + true", "'+' needs numbers, got an integer and a boolean"),
        ("1 if 2 else 3", "the condition after 'if' must be a boolean"), ("1 if true", "expected 'else' after the 'if' condition"),
        ("sqrt(4)", "unknown function 'sqrt'"), ("mx(1, 2)", "unknown function 'mx'; did you mean 'max'?"),
        ("1 $ 2", "unexpected character '$' in expression"), ("(1 + 2", "expected ')'"), ("1 2", "unexpected '2' in expression"),
        ("'abc", "unterminated text literal"), ("max()", "max() needs at least one argument"),
        ("divisible(8, 0)", "divisible() needs a divisor of at least 1"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try eval(text, ["stride": .int(1)])
            Issue.record("'\(text)' evaluated")
        } catch let e as ExpressionError {
            #expect(e.message == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func makeDivisibleMatchesMobileNetRounding() {
        #expect(makeDivisible(32 * 0.5, divisor: 8) == 16)
        #expect(makeDivisible(24 * 0.35, divisor: 8) == 8)
        #expect(makeDivisible(1280 * 1.4, divisor: 8) == 1792)
        #expect(makeDivisible(100, divisor: 8) == 104)
        #expect(makeDivisible(91, divisor: 16) == 96)
    }
}
