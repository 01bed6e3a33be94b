import DNALCore
import DNALSyntax
import DNALTestSupport

/// The graph of `architectures/NAME.yaml`.
func architecture(_ name: String) throws -> Graph {
    try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
}

/// Parses DSL text.
func parse(_ text: String) throws -> Graph {
    try NetworkParser.parse(source: Array(text.utf8), file: "t.yaml")
}
