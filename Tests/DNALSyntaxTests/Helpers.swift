import DNALCore
@testable import DNALSyntax

/// Parses DSL text as file `t.yaml`.
func parse(_ text: String) throws(Diagnostic) -> Graph {
    try NetworkParser.parse(source: Array(text.utf8), file: "t.yaml")
}

/// The diagnostic's first line for `text`, or "parsed" if it parses.
func firstError(_ text: String) -> String {
    do {
        _ = try parse(text)
        return "parsed"
    } catch {
        return String(error.description.split(separator: "\n").first ?? "")
    }
}

/// A valid network around `layers` (indented list items).
func network(_ layers: String, extra: String = "", input: String = "[3, 8, 8]", classes: Int = 2) -> String {
    "network: t\ninput: \(input)\nclasses: \(classes)\n\(extra)layers:\n\(layers)"
}

/// The YAML tree of `text`.
func yaml(_ text: String) throws(Diagnostic) -> YAMLNode? {
    try YAMLReader.parse(Array(text.utf8), file: "y.yaml")
}
