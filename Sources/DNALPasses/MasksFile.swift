import DNALCore
import Foundation

/// Masks files: the binary gate masks of a network as JSON, so masks learned elsewhere can be
/// costed and pruned:
///
/// ```json
/// {"network": "resnet56-cifar10", "gates": {"stem.gate": [0, 1, 3], "stage1.0.conv1.gate": [2, 5]}}
/// ```
///
/// `gates` maps every gate's name to the channels it keeps (ascending or not, no repeats).
public enum MasksFile {
    /// Reads masks for `graph` from `path`, checking every gate is given, every index is in range
    /// and the network stays connected.
    public static func read(_ path: String, for graph: Graph) throws(GraphError) -> GateMasks {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw GraphError("cannot read '\(path)': \(isDirectory.boolValue ? "it is a directory" : "no such file")")
        }
        return try decode([UInt8](data), file: path, for: graph)
    }

    public static func decode(_ bytes: [UInt8], file: String, for graph: Graph) throws(GraphError) -> GateMasks {
        func fail(_ message: String) -> GraphError { GraphError("\(file): \(message)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let root = object as? [String: Any] else {
            throw fail("a masks file is a JSON object with 'network' and 'gates'")
        }
        if let problem = strictnessProblem(bytes) { throw fail(problem) }
        if let extra = root.keys.sorted().first(where: { !["network", "gates"].contains($0) }) {
            throw fail("unknown key '\(extra)'; a masks file has 'network' and 'gates'")
        }
        guard let network = root["network"] as? String else { throw fail("'network' must name the network the masks belong to") }
        guard network == graph.name else { throw fail("these masks are for '\(network)', not '\(graph.name)'") }
        guard let entries = root["gates"] as? [String: Any] else {
            throw fail("'gates' must map each gate's name to the channels it keeps")
        }
        let gateNames = graph.nodes.filter { $0.op == .gate }.map(\.name)
        var keep: [Int: [Bool]] = [:]
        for name in entries.keys.sorted() {
            guard let node = graph.node(named: name), node.op == .gate else {
                var message = "'\(name)' is not a gate of '\(graph.name)'"
                if let near = closestMatch(to: name, in: gateNames) { message += "; did you mean '\(near)'?" }
                throw fail(message)
            }
            guard let list = entries[name] as? [Any], let values = integers(list) else {
                throw fail("the mask of '\(name)' must be a list of kept channel indices")
            }
            var flags = [Bool](repeating: false, count: node.shape.channels)
            for value in values {
                guard value >= 0 && value < flags.count else {
                    throw fail("the mask of '\(name)' keeps channel \(value), but the gate has channels 0 to \(flags.count - 1)")
                }
                guard !flags[value] else { throw fail("the mask of '\(name)' lists channel \(value) twice") }
                flags[value] = true
            }
            keep[node.id] = flags
        }
        if let missing = gateNames.first(where: { graph.node(named: $0).map { keep[$0.id] == nil } ?? false }) {
            throw fail("no mask for gate '\(missing)' (\(keep.count) of \(gateNames.count) gates given)")
        }
        let masks = GateMasks(keep: keep)
        do {
            try checkMasksKeepNetworkConnected(graph, gates: masks)
        } catch {
            throw fail(error.message)
        }
        return masks
    }

    /// The values as integers, or nil if any is not a whole number (JSON has one number type).
    private static func integers(_ list: [Any]) -> [Int]? {
        var result: [Int] = []
        for v in list {
            // JSON numbers arrive as NSNumber, which also answers `is Bool`; only a real Bool is refused
            if type(of: v) == Bool.self { return nil }
            if let d = v as? Double, d != d.rounded() { return nil }
            guard let i = v as? Int else { return nil }
            result.append(i)
        }
        return result
    }

    /// The JSON text for `masks` (gates in graph order), the format `read` accepts.
    public static func encode(_ masks: GateMasks, for graph: Graph) -> String {
        let lines = graph.nodes.filter { $0.op == .gate }.map { node -> String in
            let kept = (masks.keep[node.id] ?? []).indices.filter { masks.keep[node.id]![$0] }
            return "    \"\(node.name)\": [" + kept.map(String.init).joined(separator: ", ") + "]"
        }
        return "{\n  \"network\": \"\(graph.name)\",\n  \"gates\": {\n" + lines.joined(separator: ",\n") + "\n  }\n}\n"
    }
}
