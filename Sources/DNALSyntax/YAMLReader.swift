import CYAML
import DNALCore

/// Reads YAML text into a `YAMLNode` tree through libyaml's event API (safe loading only).
///
/// What it refuses, and why:
/// - tags (`!!python/object`, `!foo`): dnalc files are plain data; a tag can only mean a mistake
///   or an attack;
/// - duplicate keys: YAML says they are errors, and silently keeping one hides typos;
/// - more than one document, nesting deeper than `maxDepth`, and alias expansion beyond
///   `maxExpandedNodes` nodes (a "billion laughs" file fails in microseconds, not gigabytes);
/// - non-scalar mapping keys.
/// The `<<` merge key is supported: explicit keys override merged ones.
public enum YAMLReader {
    /// Deepest nesting accepted; deeper files are certainly not network descriptions.
    public static let maxDepth = 128
    /// Largest tree, counted after expanding aliases.
    public static let maxExpandedNodes = 2_000_000

    /// Parses `bytes` (UTF-8 or UTF-16 with BOM); returns nil for a stream with no document.
    public static func parse(_ bytes: [UInt8], file: String) throws(Diagnostic) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw Diagnostic("cannot initialise the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        var state = ReaderState(file: file)
        let result: Result<YAMLNode?, Diagnostic> = bytes.withUnsafeBufferPointer { buffer in
            // libyaml reads from the buffer lazily, so it must stay alive for the whole loop.
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            do {
                while true {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        throw syntaxError(parser, bytes: buffer, file: file)
                    }
                    defer { yaml_event_delete(&event) }
                    if try state.handle(&event) { break }
                }
                return .success(state.root)
            } catch let d as Diagnostic {
                return .failure(d)
            } catch {
                return .failure(Diagnostic("\(error)"))
            }
        }
        return try result.get()
    }

    private static func syntaxError(_ parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>, file: String) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        var message = "invalid YAML: \(problem)"
        if parser.error == YAML_READER_ERROR {
            // Reader (encoding) errors carry a byte offset instead of a mark.
            let offset = min(Int(parser.problem_offset), bytes.count)
            var line = 1, column = 1
            for b in bytes[..<offset] {
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            if parser.problem_value >= 0 { message += String(format: " (byte 0x%02X)", parser.problem_value) }
            return Diagnostic(message, at: SourceLocation(file: file, line: line, column: column))
        }
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at \(parser.context_mark.line + 1):\(parser.context_mark.column + 1))"
        }
        let mark = parser.problem_mark
        return Diagnostic(message, at: SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
    }
}

/// The tree under construction: a stack of open collections.
private struct ReaderState {
    struct Frame {
        var isMapping: Bool
        var line: Int, column: Int
        var anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var explicitKeys: [String: Int] = [:]  // key -> index in pairs
        var mergedKeys: Set<String> = []
        var size = 1
    }

    let file: String
    var stack: [Frame] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var root: YAMLNode?
    var documents = 0

    init(file: String) { self.file = file }

    func location(_ line: Int, _ column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    /// Handles one event; returns true at the end of the stream.
    mutating func handle(_ event: inout yaml_event_t) throws -> Bool {
        let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw Diagnostic("a network file holds one YAML document; found a second one", at: location(line, column))
            }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            try rejectTag(s.tag, line, column)
            let text = string(s.value, Int(s.length))
            let node = YAMLNode(.scalar(text, plain: s.style == YAML_PLAIN_SCALAR_STYLE), line: line, column: column)
            if let a = s.anchor { anchors[String(cString: a)] = (node, 1) }
            try append(node, size: 1)
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                throw Diagnostic("unknown alias '*\(name)'", at: location(line, column))
            }
            var node = target.node
            node.line = line
            node.column = column
            try append(node, size: target.size)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let tag = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            try rejectTag(tag, line, column)
            guard stack.count < YAMLReader.maxDepth else {
                throw Diagnostic("nesting deeper than \(YAMLReader.maxDepth) levels", at: location(line, column))
            }
            stack.append(Frame(isMapping: isMapping, line: line, column: column, anchor: anchor.map { String(cString: $0) }))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let node = YAMLNode(frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items),
                                line: frame.line, column: frame.column)
            if let a = frame.anchor { anchors[a] = (node, frame.size) }
            try append(node, size: frame.size)
        default:
            break
        }
        return false
    }

    func string(_ p: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
        guard let p else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self)
    }

    func rejectTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, _ line: Int, _ column: Int) throws {
        guard let tag else { return }
        let text = String(cString: tag)
        throw Diagnostic("YAML tags are not allowed (found '\(text)'); dnalc reads plain data only", at: location(line, column))
    }

    mutating func append(_ node: YAMLNode, size: Int) throws {
        guard !stack.isEmpty else {
            root = node
            return
        }
        var top = stack.removeLast()
        top.size += size
        if top.size > YAMLReader.maxExpandedNodes {
            throw Diagnostic("the document expands to more than \(YAMLReader.maxExpandedNodes) nodes (aliases nested too deep?)",
                             at: location(node.line, node.column))
        }
        if !top.isMapping {
            top.items.append(node)
        } else if let key = top.pendingKey {
            top.pendingKey = nil
            if case .scalar("<<", plain: true) = key.kind {
                try merge(node, into: &top)
            } else {
                let name = key.scalar ?? ""
                if let i = top.explicitKeys[name] {
                    let first = top.pairs[i].key
                    throw Diagnostic("duplicate key '\(name)' (first at line \(first.line), column \(first.column))",
                                     at: location(key.line, key.column))
                }
                if top.mergedKeys.contains(name), let i = top.pairs.firstIndex(where: { $0.name == name }) {
                    top.pairs[i] = YAMLPair(key: key, value: node)
                    top.explicitKeys[name] = i
                } else {
                    top.explicitKeys[name] = top.pairs.count
                    top.pairs.append(YAMLPair(key: key, value: node))
                }
            }
        } else {
            guard node.scalar != nil else {
                throw Diagnostic("mapping keys must be plain text, not \(node.typeDescription)", at: location(node.line, node.column))
            }
            top.pendingKey = node
        }
        stack.append(top)
    }

    /// `<<: *base` or `<<: [*a, *b]`: copies keys the mapping does not set itself.
    func merge(_ value: YAMLNode, into frame: inout Frame) throws {
        let sources: [YAMLNode]
        switch value.kind {
        case .mapping: sources = [value]
        case .sequence(let items): sources = items
        case .scalar:
            throw Diagnostic("'<<' merges a mapping, not \(value.typeDescription)", at: location(value.line, value.column))
        }
        for source in sources {
            guard case .mapping(let pairs) = source.kind else {
                throw Diagnostic("'<<' merges mappings, not \(source.typeDescription)", at: location(source.line, source.column))
            }
            for p in pairs where frame.explicitKeys[p.name] == nil && !frame.mergedKeys.contains(p.name) {
                frame.mergedKeys.insert(p.name)
                frame.pairs.append(p)
            }
        }
    }
}
