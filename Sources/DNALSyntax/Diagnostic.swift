import DNALCore

/// A user-facing error: `file:line:column: error: message`, plus notes (where a template was
/// instantiated, where a duplicate was first seen).
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    /// Where the problem is, when it has a place in a file.
    public var location: SourceLocation?
    /// What is wrong, in one sentence.
    public var message: String
    /// Extra located lines printed after the error.
    public var notes: [(location: SourceLocation?, message: String)] = []

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    /// The error line and its notes, as the CLI prints them (without source excerpts).
    public var description: String {
        var lines = [(location.map { "\($0): " } ?? "") + "error: " + message]
        for n in notes { lines.append((n.location.map { "\($0): " } ?? "") + "note: " + n.message) }
        return lines.joined(separator: "\n")
    }

    /// `description` with the offending source line and a caret under the column, clang style.
    public func rendered(source: String?) -> String {
        guard let loc = location, let source else { return description }
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard loc.line >= 1, loc.line <= lines.count else { return description }
        let text = String(lines[loc.line - 1].prefix(200))
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\t" }) else { return description }
        let caret = String(repeating: " ", count: max(0, min(loc.column - 1, text.count))) + "^"
        var out = [(location.map { "\($0): " } ?? "") + "error: " + message, "  " + text, "  " + caret]
        for n in notes { out.append((n.location.map { "\($0): " } ?? "") + "note: " + n.message) }
        return out.joined(separator: "\n")
    }
}
