import DNALCore
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing
@testable import DNALExport

/// The generated model.py's structure, without Python. Its numbers (logits within 1e-5 of dnalc's,
/// strict loading of dnalc's weights files) are checked with torch by scripts/check-onnx.py, which
/// .ci/run runs.
@Suite("PyTorch model generator")
struct PyTorchModelTests {
    /// The tensors each registered module declares, from its constructor, as state_dict keys.
    func declaredKeys(_ text: String) -> [String] {
        var keys: [String] = []
        for line in text.split(separator: "\n") {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("self.place(\"") else { continue }
            let rest = line.dropFirst("self.place(\"".count)
            let name = String(rest.prefix { $0 != "\"" })
            let constructor = rest.dropFirst(name.count + 3)
            var suffixes: [String]
            if constructor.hasPrefix("nn.Conv2d") || constructor.hasPrefix("nn.Linear") {
                suffixes = constructor.contains("bias=True") ? ["weight", "bias"] : ["weight"]
            } else if constructor.hasPrefix("BatchNorm") {
                suffixes = ["weight", "bias", "running_mean", "running_var"]
            } else if constructor.hasPrefix("Gate(") {
                suffixes = ["alpha", "mask"]
            } else {
                suffixes = ["?" + constructor]
            }
            keys += suffixes.map { name + "." + $0 }
        }
        return keys
    }

    @Test(arguments: ["vgg6-mnist", "resnet8-mnist", "mobilenet-tiny-mnist", "supernet-tiny-mnist", "resnet56-cifar10",
                      "mobilenetv2-cifar10", "vgg16-cifar10", "resnet50-imagenet", "proxylessnas-imagenet"])
    func declaresExactlyTheParameterTable(name: String) throws {
        let g = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        let text = PyTorchModel.generate(g, source: name + ".yaml")
        #expect(declaredKeys(text) == ParameterTable(g).specs.map(\.name))
        #expect(text.contains("def build():") && text.contains("return Network()"))
        // every node's value is computed once, in node order, and the output is returned
        let forward = text.components(separatedBy: "L = self._layer_table\n").last!.components(separatedBy: "\n\n")[0]
        let assignments = forward.split(separator: "\n").filter { $0.contains(" = ") }
        #expect(assignments.count == g.nodes.count - 1)
    }

    @Test func importsOnlyTorchAndTheStandardLibrary() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("resnet8-mnist.yaml").path)
        let imports = PyTorchModel.generate(g).split(separator: "\n").filter { $0.hasPrefix("import ") || $0.hasPrefix("from ") }
        #expect(Set(imports) == ["import json", "import struct", "import torch", "from torch import nn", "import torch.nn.functional as F"])
    }

    @Test func pythonIdentifiersAreUniqueAndNeverKeywords() {
        var names = PythonNames()
        #expect(names.fresh("stage1.0.conv1") == "stage1_0_conv1")
        #expect(names.fresh("stage1_0.conv1") == "stage1_0_conv1_2")
        #expect(names.fresh("class") == "class_")
        #expect(names.fresh("0conv") == "v_0conv")
        #expect(names.fresh("x") == "x_2")
        #expect(names.fresh("Ünïcode-name") == "_n_code_name")
    }

    @Test func stringsAreEscaped() {
        #expect(pythonString("a\"b\\c") == #""a\"b\\c""#)
        #expect(pythonString("bell\u{7}") == #""bell\x07""#)
    }
}
