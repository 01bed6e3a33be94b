import Foundation
import Testing
@testable import DNALSyntax

/// Every malformed file gives exactly one `t.yaml:line:col: error: ...` line (notes may follow),
/// and never crashes or hangs. The time limit is a hang detector, not a speed test: in the whole
/// suite on two cores these millisecond cases can wait 90 s or more for a thread while the
/// conv, training and CLI tests hold both (a one-minute limit failed that way), so it is as
/// generous as the other suites'.
@Suite("Malformed input", .timeLimit(.minutes(5)))
struct MalformedInputTests {
    static let head = "network: t\ninput: [3, 8, 8]\nclasses: 2\n"
    static let tail = "  - gap\n  - linear: {out: 2}\n"

    static let cases: [(String, String)] = [
        // YAML syntax
        (head + "layers: [conv: {out: 4}\n", "t.yaml:5:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 4:9)"),
        (head + "layers:\n  - conv: {out: 4}\n   - gap\n", "t.yaml:6:4: error: invalid YAML: did not find expected '-' indicator (while parsing a block collection at 5:3)"),
        (head + "layers:\n\t- gap\n", "t.yaml:5:1: error: invalid YAML: found character that cannot start any token (while scanning for the next token at 5:1)"),
        (head + "layers:\n  - conv: {out: 4\n", "t.yaml:6:1: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at 5:11)"),
        // unknown ops and keys
        (head + "layers:\n  - convv: {out: 4}\n" + tail, "t.yaml:5:5: error: unknown op 'convv'; did you mean 'conv'?"),
        (head + "layers:\n  - conv: {out: 4, strde: 2}\n" + tail, "t.yaml:5:20: error: conv has no attribute 'strde'; did you mean 'stride'?"),
        (head + "layer:\n  - gap\n", "t.yaml:4:1: error: unknown top-level key 'layer'; did you mean 'layers'?"),
        (head + "layers:\n  - conv: {out: 4}\n    name: c\n" + tail, "t.yaml:6:5: error: a layer is written 'op: {attributes}'; this item also has 'name' beside 'conv' (put it inside the attributes, check the indentation)"),
        (head + "layers:\n  - [gap]\n", "t.yaml:5:5: error: expected a layer such as 'conv: {out: 64}', got a list"),
        (head + "layers:\n  - conv: 4\n", "t.yaml:5:11: error: 'conv' takes a mapping of attributes, e.g. 'conv: {name: x}', got '4'"),
        // wrong types and ranges
        (head + "layers:\n  - conv: {out: abc}\n" + tail, "t.yaml:5:17: error: 'out' must be an integer, got 'abc'"),
        (head + "layers:\n  - conv: {out: 0}\n" + tail, "t.yaml:5:17: error: 'out' must be at least 1, got 0"),
        (head + "layers:\n  - conv: {out: 4, stride: -1}\n" + tail, "t.yaml:5:28: error: 'stride' must be at least 1, got -1"),
        (head + "layers:\n  - conv: {out: 4, kernel: 2.5}\n" + tail, "t.yaml:5:28: error: 'kernel' must be an integer, got a number (2.5)"),
        (head + "layers:\n  - conv: {out: 4, bias: yes}\n" + tail, "t.yaml:5:26: error: 'bias' must be true or false, got 'yes' (YAML 1.1 spellings are not booleans here)"),
        (head + "layers:\n  - conv: {out: 4, act: relu7}\n" + tail, "t.yaml:5:25: error: 'act' must be one of relu, relu6, none, got 'relu7'; did you mean 'relu'?"),
        (head + "layers:\n  - dropout: {p: 1.5}\n" + tail, "t.yaml:5:18: error: 'p' must be at least 0.0 and below 1.0, got 1.5"),
        (head + "layers:\n  - conv: {out: 4, padding: -2}\n" + tail, "t.yaml:5:29: error: 'padding' must be at least 0, got -2"),
        (head + "layers:\n  - conv: {out: 6, groups: 4}\n" + tail, "t.yaml:5:5: error: 'conv1': conv groups 4 do not divide the 3 input channels of 'input'"),
        (head + "layers:\n  - conv: {depthwise: true, groups: 3}\n" + tail, "t.yaml:5:37: error: give either 'depthwise: true' or 'groups', not both"),
        // header
        ("network: t\ninput: [3, 8]\nclasses: 2\nlayers: [gap]\n", "t.yaml:2:8: error: 'input' must be [C, H, W], got a list"),
        ("network: t\ninput: [3, 0, 8]\nclasses: 2\nlayers: [gap]\n", "t.yaml:2:12: error: 'input' must be at least 1, got 0"),
        ("network: t\ninput: [3, 8, 8]\nlayers: [gap]\n", "t.yaml:1:1: error: the network needs 'classes'"),
        ("network: t\ninput: [3, 8, 8]\nclasses: 2\n", "t.yaml:1:1: error: the network needs 'layers'"),
        ("input: [3, 8, 8]\nclasses: 2\nlayers: [gap]\n", "t.yaml:1:1: error: the network needs 'network:', its name"),
        ("- a\n- b\n", "t.yaml:1:1: error: a network file is a mapping with 'network:', 'input:', 'classes:' and 'layers:'; got a list"),
        ("", "t.yaml:1:1: error: the file is empty; a network file needs 'network:', 'input:', 'classes:' and 'layers:' (see Grammar.md)"),
        ("# nothing but a comment\n", "t.yaml:1:1: error: the file is empty; a network file needs 'network:', 'input:', 'classes:' and 'layers:' (see Grammar.md)"),
        (head + "layers: []\n", "t.yaml:4:9: error: 'layers' must not be empty"),
        (head + "layers:\n  - conv: {out: 4}\n  - gap\n  - linear: {out: 3}\n", "t.yaml:7:5: error: the network's output 'linear1' is [3], but classes: 2 needs [2]"),
        (head + "search: {lamda: 0.1}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:10: error: unknown search setting 'lamda'; did you mean 'lambda'?"),
        (head + "search: {epochs: [1, 2]}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:18: error: 'epochs' takes one value per phase: [phase 1, phase 2, phase 3], got 2"),
        (head + "defaults: {conf: {bn: true}}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:12: error: 'defaults' cannot set attributes of 'conf'; did you mean 'conv'?"),
        (head + "defaults: {conv: {bm: true}}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:19: error: conv has no attribute 'bm'; did you mean 'bn'?"),
        // wiring and shapes
        (head + "layers:\n  - conv: {name: a, out: 4}\n  - conv: {name: b, out: 5, from: input}\n  - add: {from: [a, b]}\n" + tail,
         "t.yaml:7:5: error: 'add1': cannot add 'b' [5,8,8] to 'a' [4,8,8]: shapes differ"),
        (head + "layers:\n  - residual: {branch: [conv: {out: 8}]}\n" + tail, "t.yaml:5:5: error: residual 'residual1': the branch gives [8,8,8] but the shortcut carries [3,8,8]; use shortcut: zeropad or project, or disable it with shortcut_when"),
        (head + "layers:\n  - conv: {out: 4, kernel: 11, padding: 0}\n" + tail, "t.yaml:5:5: error: 'conv1': conv kernel 11 is larger than its padded input 8x8 (from 'input' [3,8,8])"),
        (head + "layers:\n  - conv: {name: a, out: 4}\n  - conv: {name: b, out: 4, from: input, stride: 2}\n  - concat: {from: [a, b]}\n" + tail,
         "t.yaml:7:5: error: 'concat1': cannot concat 'b' [4,4,4] with 'a' [4,8,8]: H and W differ"),
        (head + "layers:\n  - gather: {channels: [2, 1]}\n" + tail, "t.yaml:5:5: error: 'gather1': gather from 'input' [3,8,8]: channels must be strictly increasing, got 2 then 1"),
        (head + "layers:\n  - gather: {channels: [0, 3]}\n" + tail, "t.yaml:5:5: error: 'gather1': gather from 'input' [3,8,8]: channel 3 is out of range 0..<3"),
        (head + "layers:\n  - gather: {channels: 3}\n" + tail, "t.yaml:5:24: error: 'channels' must be a list of channel indices, got '3'"),
        (head + "layers:\n  - gather: {channels: [a]}\n" + tail, "t.yaml:5:25: error: 'channels' entries must be integers of at least 0, got 'a'"),
        (head + "layers:\n  - gather: {channels: []}\n" + tail, "t.yaml:5:5: error: 'gather1': gather from 'input' [3,8,8]: needs at least one channel"),
        (head + "layers:\n  - scatter: {out: 4, channels: [0, 1]}\n" + tail, "t.yaml:5:5: error: 'scatter1': scatter lists 2 channels but 'input' [3,8,8] has 3"),
        (head + "layers:\n  - scatter: {out: 4, channels: [0, 1, 4]}\n" + tail, "t.yaml:5:5: error: 'scatter1': scatter of 'input' into 4 channels: channel 4 is out of range 0..<4"),
        (head + "layers:\n  - scatter: {channels: [0, 1, 2]}\n" + tail, "t.yaml:5:5: error: scatter needs 'out'"),
        (head + "layers:\n  - zeropad: {out: 2}\n" + tail, "t.yaml:5:5: error: 'zeropad1': zeropad cannot shrink 'input' from 3 to 2 channels"),
        (head + "layers:\n  - gap\n  - flatten\n  - gate\n  - linear: {out: 2}\n", "t.yaml:7:5: error: 'gate1': a gate needs a [C,H,W] input, 'flatten1' is [3]"),
        (head + "layers:\n  - choice: {ops: [conv: {out: 4}, conv: {out: 5}]}\n" + tail, "t.yaml:5:5: error: choice 'choice1': candidate 'choice1.op1' gives [5,8,8] but 'choice1.op0' gives [4,8,8]; candidates must agree"),
        (head + "layers:\n  - add: {from: [input]}\n" + tail, "t.yaml:5:17: error: 'from' of add must list two or more layers, got a list"),
        // references and cycles
        (head + "layers:\n  - conv: {name: a, out: 4}\n  - conv: {out: 4, from: nosuch}\n" + tail, "t.yaml:6:26: error: unknown layer 'nosuch'"),
        (head + "layers:\n  - conv: {name: alpha, out: 4}\n  - conv: {out: 4, from: alpah}\n" + tail, "t.yaml:6:26: error: unknown layer 'alpah'; did you mean 'alpha'?"),
        (head + "layers:\n  - conv: {name: a, out: 4, from: b}\n  - conv: {name: b, out: 4, from: a}\n" + tail, "t.yaml:5:35: error: layer 'b' is not defined before this point; a layer can only read earlier layers, so references cannot form cycles"),
        (head + "layers:\n  - conv: {name: a, out: 4}\n  - conv: {name: a, out: 4}\n" + tail, "t.yaml:6:5: error: 'a': duplicate layer name 'a' (first defined at t.yaml:5:5)"),
        (head + "layers:\n  - conv: {name: 'my conv', out: 4}\n" + tail, "t.yaml:5:18: error: invalid layer name 'my conv': use letters, digits, '_' and '-', with single dots between parts"),
        (head + "layers:\n  - conv: {name: skip, out: 4}\n  - conv: {out: 4, from: input}\n" + tail, "t.yaml:5:5: error: layer 'skip' is never used: nothing reads it and it is not the output"),
        // templates
        (head + "templates: {blk: {params: {out: ~}, layers: [conv: {out: $out}]}}\nlayers:\n  - blk: {}\n" + tail, "t.yaml:6:5: error: template 'blk' needs parameter 'out'"),
        (head + "templates: {blk: {params: {out: ~}, layers: [conv: {out: $out}]}}\nlayers:\n  - blk: {out: 4, ot: 5}\n" + tail, "t.yaml:6:19: error: template 'blk' has no parameter 'ot'; did you mean 'out'?"),
        (head + "templates: {a: {layers: [b: {}]}, b: {layers: [a: {}]}}\nlayers:\n  - a: {}\n" + tail, "t.yaml:4:48: error: template 'a' uses itself (a -> b -> a)"),
        (head + "templates: {conv: {layers: [gap]}}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:13: error: template 'conv' has the name of a built-in op"),
        (head + "templates: {blk: {params: {in: 1}, layers: [gap]}}\nlayers: [gap, linear: {out: 2}]\n", "t.yaml:4:28: error: 'in' is reserved and cannot be a template parameter"),
        (head + "templates: {blk: {params: [out], layers: [conv: {out: $ot}]}}\nlayers:\n  - blk: {out: 4}\n" + tail, "t.yaml:4:56: error: unknown name 'ot' in expression; did you mean 'out'?"),
        // expressions
        (head + "layers:\n  - conv: {out: '${4 // 0}'}\n" + tail, "t.yaml:5:20: error: division by zero"),
        (head + "layers:\n  - conv: {out: '${4 +}'}\n" + tail, "t.yaml:5:23: error: the expression ends too early"),
        (head + "layers:\n  - repeat: {times: 0, layers: [gap]}\n" + tail, "t.yaml:5:21: error: 'times' must be at least 1, got 0"),
        (head + "layers:\n  - repeat: {times: 1000000000, layers: [gap]}\n" + tail, "t.yaml:5:21: error: repeat of 1000000000 would exceed 100000 layers"),
        // hostile files
        (head + "layers: !!python/object:os.system [gap]\n", "t.yaml:4:9: error: YAML tags are not allowed (found 'tag:yaml.org,2002:python/object:os.system'); dnalc reads plain data only"),
        (head + "x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            + "w: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nv: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nu: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            + "s: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nlayers: [gap]\n", "t.yaml:10:9: error: the document expands to more than 2000000 nodes (aliases nested too deep?)"),
        (head + "layers:\n  - gap\n---\nnetwork: u\n", "t.yaml:6:1: error: a network file holds one YAML document; found a second one"),
        (head + "layers: " + String(repeating: "[", count: 200), "t.yaml:4:136: error: nesting deeper than 128 levels"),
    ]

    @Test("each malformed file gives its diagnostic", arguments: cases)
    func diagnostic(text: String, expected: String) {
        #expect(firstError(text) == expected)
    }

    @Test func thereAreAtLeastFortyCases() {
        #expect(Self.cases.count + BinaryInputTests.count >= 40)
    }
}

/// Inputs that are not YAML text at all, or not there.
@Suite("Non-text and missing input")
struct BinaryInputTests {
    static let count = 4

    @Test func nulBytes() {
        do {
            _ = try NetworkParser.parse(source: [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00], file: "t.yaml")
            Issue.record("binary parsed")
        } catch {
            #expect(error.description == "t.yaml:1:1: error: this is not a text file (it contains NUL bytes); expected a YAML network description")
        }
    }

    @Test func invalidUTF8() {
        do {
            _ = try NetworkParser.parse(source: [0x61, 0x3a, 0x20, 0xff, 0xfe, 0x80, 0x0a], file: "t.yaml")
            Issue.record("garbage parsed")
        } catch {
            #expect(error.description == "t.yaml:1:4: error: invalid YAML: invalid leading UTF-8 octet (byte 0xFF)")
        }
    }

    @Test func missingFile() {
        do {
            _ = try NetworkParser.parse(file: "/nonexistent/dir/net.yaml")
            Issue.record("missing file parsed")
        } catch {
            #expect(error.description == "error: cannot read '/nonexistent/dir/net.yaml': no such file")
        }
    }

    @Test func directory() {
        do {
            _ = try NetworkParser.parse(file: NSTemporaryDirectory())
            Issue.record("directory parsed")
        } catch {
            #expect(error.description == "error: cannot read '\(NSTemporaryDirectory())': it is a directory")
        }
    }
}
