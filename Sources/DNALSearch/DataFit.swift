import DNALCore
import DNALData

extension DataSplits {
    /// Throws unless these images have the network's input shape and label count, naming both
    /// (and what to do) so a network is never run on data it was not made for.
    public func check(fits graph: Graph) throws(SearchError) {
        let shape = [train.channels, train.height, train.width]
        guard shape == graph.inputShape.dims else {
            throw SearchError("'\(graph.name)' takes \(graph.inputShape) images, but \(source) has [\(shape.map(String.init).joined(separator: ","))]; choose a network made for this data (architectures/*-mnist.yaml for 28x28 grey images)")
        }
        guard train.classes == graph.classes else {
            throw SearchError("'\(graph.name)' has \(graph.classes) classes, but \(source) has \(train.classes)")
        }
        for (split, d) in [("training", train), ("test", test)] {
            guard d.count > 0 else { throw SearchError("the \(split) split of \(source) holds no images (after any train_limit/test_limit)") }
            if let label = d.labels.first(where: { Int($0) >= graph.classes }) {
                throw SearchError("the \(split) split of \(source) has label \(label), outside 0..<\(graph.classes)")
            }
        }
    }
}
