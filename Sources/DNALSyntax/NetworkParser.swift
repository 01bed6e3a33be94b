import DNALCore
import Foundation

/// Reads a network file (Grammar.md) into a verified `Graph`.
public enum NetworkParser {
    /// Files larger than this are refused before parsing: no network description comes close.
    public static let maxFileBytes = 64 << 20

    /// Reads and parses the file at `path`; every failure is a `Diagnostic` naming the file.
    public static func parse(file path: String) throws(Diagnostic) -> Graph {
        try parse(source: try readSource(path), file: path)
    }

    /// The file's bytes, or a diagnostic saying why it cannot be read.
    public static func readSource(_ path: String) throws(Diagnostic) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Diagnostic("cannot read '\(path)': no such file")
        }
        guard !isDirectory.boolValue else { throw Diagnostic("cannot read '\(path)': it is a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Diagnostic("cannot read '\(path)': permission denied")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw Diagnostic("cannot read '\(path)': \(error.localizedDescription)")
        }
        guard data.count <= maxFileBytes else {
            throw Diagnostic("'\(path)' is larger than \(maxFileBytes >> 20) MiB; it cannot be a network description")
        }
        return [UInt8](data)
    }

    /// Parses `source`, naming it `file` in diagnostics.
    public static func parse(source: [UInt8], file: String) throws(Diagnostic) -> Graph {
        let start = SourceLocation(file: file, line: 1, column: 1)
        var source = source
        if source.starts(with: [0xFF, 0xFE]) || source.starts(with: [0xFE, 0xFF]) {
            // UTF-16 with a byte-order mark (Grammar.md, "Files"): read as the UTF-8 it spells
            guard source.count % 2 == 0, let text = String(bytes: source, encoding: .utf16) else {
                throw Diagnostic("the file starts with a UTF-16 byte-order mark but is not valid UTF-16", at: start)
            }
            source = Array(text.utf8)
        }
        if source.contains(0) {
            throw Diagnostic("this is not a text file (it contains NUL bytes); expected a YAML network description", at: start)
        }
        guard let root = try YAMLReader.parse(source, file: file), !root.isNull else {
            throw Diagnostic("the file is empty; a network file needs 'network:', 'input:', 'classes:' and 'layers:' (see Grammar.md)", at: start)
        }
        let e = Elaborator(file: file)
        return try e.network(root)
    }
}

extension Elaborator {
    /// The whole file: header keys, sections, then the layers.
    func network(_ root: YAMLNode) throws(Diagnostic) -> Graph {
        guard case .mapping(let pairs) = root.kind else {
            throw diagnostic("a network file is a mapping with 'network:', 'input:', 'classes:' and 'layers:'; got \(root.typeDescription)", at: root)
        }
        var header: [String: YAMLPair] = [:]
        for p in pairs {
            guard Schema.headerKeys.contains(p.name) else {
                var message = "unknown top-level key '\(p.name)'"
                if let near = closestMatch(to: p.name, in: Schema.headerKeys) { message += "; did you mean '\(near)'?" }
                throw diagnostic(message, at: p.key)
            }
            header[p.name] = p
        }
        let a = Attributes(op: "the network", anchor: root, own: header, defaults: [:], variables: [:], elaborator: self)
        guard let name = try a.string("network"), !name.isEmpty else { throw diagnostic("the network needs 'network:', its name", at: root) }
        // the name is printed on terminals and names run directories
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "/" }) || name.count > 200 {
            throw diagnostic("invalid network name \(name.debugDescription): at most 200 characters, no control characters and no '/'",
                             at: a.node("network") ?? root)
        }
        let inputNode = a.node("input") ?? root
        let input = try inputShape(a)
        let classes = try a.int("classes")
        widthMultiplier = try a.double("width_multiplier", default: 1, range: 0.01...16)
        widthDivisor = try a.int("width_divisor", default: 8)
        if widthDivisor > 1 << 20, let n = a.node("width_divisor") {
            throw diagnostic("'width_divisor' must be at most \(1 << 20), got \(widthDivisor)", at: n)
        }
        if let d = a.node("defaults") { defaults = try readDefaults(d) }
        if let t = a.node("templates") { templates = try readTemplates(t) }
        let search = try a.node("search").map { (n) throws(Diagnostic) in try readSearch(n) } ?? SearchConfig()
        let layers = try a.layers("layers")
        declaredNames = collectNames(in: root)

        begin(input: input, at: inputNode, globals: ["classes": .int(classes)])
        let output = try elaborateList(layers, input: 0)
        let graph: Graph
        do {
            graph = try builder.finish(name: name, classes: classes, output: output, search: search)
        } catch {
            let last = builder.node(output)
            let at = last.origin.map { YAMLNode(.scalar("", plain: true), line: $0.line, column: $0.column) } ?? root
            throw diagnostic(error.message, at: at)
        }
        if let unused = unusedNodes(graph).first {
            let n = graph.nodes[unused]
            throw Diagnostic("layer '\(n.name)' is never used: nothing reads it and it is not the output", at: n.origin)
        }
        return graph
    }

    private func inputShape(_ a: Attributes) throws(Diagnostic) -> Shape {
        guard let n = a.node("input") else { throw diagnostic("the network needs 'input: [C, H, W]'", at: a.anchor) }
        guard case .sequence(let dims) = n.kind, dims.count == 3 else {
            throw diagnostic("'input' must be [C, H, W], got \(n.typeDescription)", at: n)
        }
        var values: [Int] = []
        for (i, d) in dims.enumerated() {
            let one = Attributes(op: "input", anchor: d, own: ["input": YAMLPair(key: d, value: d)], defaults: [:], variables: [:], elaborator: self)
            let v = try one.int("input")
            guard v <= 1 << 16 else { throw diagnostic("input \(["C", "H", "W"][i]) of \(v) is too large", at: d) }
            values.append(v)
        }
        return Shape(channels: values[0], height: values[1], width: values[2])
    }

    /// `defaults: {conv: {bn: true, act: relu}, bn: {eps: 1e-3}}`.
    private func readDefaults(_ node: YAMLNode) throws(Diagnostic) -> [String: [String: YAMLPair]] {
        guard case .mapping(let ops) = node.kind else { throw diagnostic("'defaults' must map ops to attributes", at: node) }
        var result: [String: [String: YAMLPair]] = [:]
        for op in ops {
            guard let keys = Schema.opKeys[op.name], !keys.isEmpty, !["residual", "choice", "seq", "repeat"].contains(op.name) else {
                var message = "'defaults' cannot set attributes of '\(op.name)'"
                if Schema.opKeys[op.name] == nil, let near = closestMatch(to: op.name, in: Schema.opNames) { message += "; did you mean '\(near)'?" }
                throw diagnostic(message, at: op.key)
            }
            guard case .mapping(let attrs) = op.value.kind else {
                throw diagnostic("defaults for '\(op.name)' must be a mapping of attributes", at: op.value)
            }
            var own: [String: YAMLPair] = [:]
            for p in attrs {
                guard keys.contains(p.name) else {
                    var message = "\(op.name) has no attribute '\(p.name)'"
                    if let near = closestMatch(to: p.name, in: keys) { message += "; did you mean '\(near)'?" }
                    throw diagnostic(message, at: p.key)
                }
                own[p.name] = p
            }
            result[op.name] = own
        }
        return result
    }

    /// `templates: {NAME: {params: {p: default | ~}, layers: [...]}}`.
    private func readTemplates(_ node: YAMLNode) throws(Diagnostic) -> [String: Template] {
        guard case .mapping(let entries) = node.kind else { throw diagnostic("'templates' must map names to templates", at: node) }
        var result: [String: Template] = [:]
        for entry in entries {
            let name = entry.name
            guard isIdentifier(name) else { throw diagnostic("template name '\(name)' must be an identifier", at: entry.key) }
            guard Schema.opKeys[name] == nil else {
                throw diagnostic("template '\(name)' has the name of a built-in op", at: entry.key)
            }
            guard case .mapping(let body) = entry.value.kind else {
                throw diagnostic("template '\(name)' must be a mapping with 'params' and 'layers'", at: entry.value)
            }
            var params: [(name: String, defaultValue: YAMLNode?)] = []
            var layers: [YAMLNode]?
            for p in body {
                switch p.name {
                case "params": params = try readParams(p.value, template: name)
                case "layers":
                    guard case .sequence(let items) = p.value.kind, !items.isEmpty else {
                        throw diagnostic("'layers' of template '\(name)' must be a non-empty list", at: p.value)
                    }
                    layers = items
                default:
                    var message = "template '\(name)' has no key '\(p.name)'"
                    if let near = closestMatch(to: p.name, in: Schema.templateKeys) { message += "; did you mean '\(near)'?" }
                    throw diagnostic(message, at: p.key)
                }
            }
            guard let layers else { throw diagnostic("template '\(name)' needs 'layers'", at: entry.key) }
            result[name] = Template(name: name, params: params, layers: layers)
        }
        return result
    }

    private func readParams(_ node: YAMLNode, template: String) throws(Diagnostic) -> [(name: String, defaultValue: YAMLNode?)] {
        var params: [(name: String, defaultValue: YAMLNode?)] = []
        var entries: [(YAMLNode, YAMLNode?)] = []
        switch node.kind {
        case .mapping(let pairs): entries = pairs.map { ($0.key, $0.value.isNull ? nil : $0.value) }
        case .sequence(let names): entries = names.map { ($0, nil) }
        case .scalar: throw diagnostic("'params' of template '\(template)' must be a mapping (name: default, ~ for required) or a list of names", at: node)
        }
        for (key, value) in entries {
            guard let p = key.scalar, isIdentifier(p) else { throw diagnostic("parameter names must be identifiers, got \(key.typeDescription)", at: key) }
            guard !Schema.reservedVariables.contains(p), !Schema.commonKeys.contains(p) else {
                throw diagnostic("'\(p)' is reserved and cannot be a template parameter", at: key)
            }
            guard !params.contains(where: { $0.name == p }) else { throw diagnostic("duplicate parameter '\(p)'", at: key) }
            params.append((p, value))
        }
        return params
    }

    private func isIdentifier(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// Every scalar written as a `name:` value anywhere below `node`.
    private func collectNames(in node: YAMLNode) -> Set<String> {
        var names = Set<String>()
        var stack = [node]
        while let n = stack.popLast() {
            switch n.kind {
            case .scalar: break
            case .sequence(let items): stack.append(contentsOf: items)
            case .mapping(let pairs):
                for p in pairs {
                    if p.name == "name", let s = p.value.scalar { names.insert(s) }
                    stack.append(p.value)
                }
            }
        }
        return names
    }
}
