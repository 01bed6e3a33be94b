/// Where each tensor of a plan lives inside one arena, so that tensors whose lifetimes never
/// overlap share memory.
public struct MemoryPlan: Sendable {
    /// A tensor: a node's forward output or the gradient with respect to it.
    public enum Tensor: Hashable, Sendable {
        case activation(Int)
        case gradient(Int)
    }

    /// A tensor's size (floats) and the schedule times [start, end] (inclusive) during which it must
    /// keep its contents.
    public struct Interval: Hashable, Sendable {
        public var tensor: Tensor
        public var size: Int
        public var start: Int
        public var end: Int
        public init(tensor: Tensor, size: Int, start: Int, end: Int) {
            self.tensor = tensor
            self.size = size
            self.start = start
            self.end = end
        }
        func overlapsInTime(_ o: Interval) -> Bool { start <= o.end && o.start <= end }
    }

    /// Offset (floats) of each tensor in the arena.
    public private(set) var offsets: [Tensor: Int] = [:]
    /// Arena size in floats.
    public private(set) var totalFloats = 0
    /// The intervals the plan was made from.
    public let intervals: [Interval]

    /// Places the largest tensors first, each at the lowest offset not used by a tensor live at
    /// the same time. Offsets are multiples of `alignment` floats (64 bytes by default).
    /// `aliases` maps tensors that share another's memory (computed in place) to that tensor,
    /// whose interval must cover their lifetimes.
    public init(_ intervals: [Interval], aliases: [Tensor: Tensor] = [:], alignment: Int = 16) {
        self.intervals = intervals
        let order = intervals.indices.sorted {
            let a = intervals[$0], b = intervals[$1]
            return a.size != b.size ? a.size > b.size : (a.start != b.start ? a.start < b.start : $0 < $1)
        }
        var placed: [(interval: Interval, offset: Int)] = []
        for i in order {
            let t = intervals[i]
            let size = (t.size + alignment - 1) / alignment * alignment
            let busy = placed.filter { $0.interval.overlapsInTime(t) }
                .map { (start: $0.offset, end: $0.offset + ($0.interval.size + alignment - 1) / alignment * alignment) }
                .sorted { $0.start < $1.start }
            var offset = 0
            for b in busy {
                if offset + size <= b.start { break }
                offset = max(offset, b.end)
            }
            placed.append((t, offset))
            offsets[t.tensor] = offset
            totalFloats = max(totalFloats, offset + size)
        }
        for (alias, target) in aliases { offsets[alias] = offsets[target] }
    }

    /// Pairs of tensors that are live at the same time and overlap in memory (empty for a valid plan).
    public func conflicts() -> [(Tensor, Tensor)] {
        var result: [(Tensor, Tensor)] = []
        for i in intervals.indices {
            for j in intervals.indices where j > i {
                let a = intervals[i], b = intervals[j]
                guard a.size > 0, b.size > 0, a.overlapsInTime(b), let oa = offsets[a.tensor], let ob = offsets[b.tensor] else { continue }
                if oa < ob + b.size && ob < oa + a.size { result.append((a.tensor, b.tensor)) }
            }
        }
        return result
    }
}

extension PlannedStep {
    /// Training: each in-place sum's trunk node -> the node whose gradient tensor it shares (the
    /// last sum of the run: a stage's trunk gradient is one tensor, as its trunk is).
    static func gradientAliases(_ steps: [Self]) -> [Int: Int] {
        var parent: [Int: Int] = [:]
        for step in steps { if let target = step.aliasOf { parent[target] = step.node } }
        var root: [Int: Int] = [:]
        for node in parent.keys {
            var r = parent[node]!
            while let next = parent[r] { r = next }
            root[node] = r
        }
        return root
    }

    /// The live intervals of every tensor of `steps` for a batch of `batch`, on the schedule:
    /// time 0 the input is written; the step computing node k runs forward at time k; with L the
    /// last step's node, the loss runs at L + 1 and the step of node k runs backward at 2L - k + 2.
    /// Without `training`, only forward outputs exist, each live until its last reader, and the
    /// step at position i runs at time i + 1.
    static func liveIntervals(_ steps: [Self], inputCount: Int, batch: Int, training: Bool) -> [MemoryPlan.Interval] {
        // Training times are keyed by node ids (fused steps skip the ids of the nodes they absorb);
        // inference times are step positions, as inference fusion may run a step earlier.
        let last = steps.last?.node ?? 0
        let position = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.node, $0.offset + 1) })
        func forwardTime(_ node: Int) -> Int { training ? node : position[node]! }
        func backwardTime(_ node: Int) -> Int { 2 * last - node + 2 }
        var lastUse: [Int: Int] = [0: 0]
        for step in steps { lastUse[step.node] = forwardTime(step.node) }
        lastUse[last] = training ? last + 1 : forwardTime(last)
        var firstGradient: [Int: Int] = [:]
        for step in steps {
            for i in step.inputs {
                lastUse[i] = max(lastUse[i] ?? 0, forwardTime(step.node))
                if training {
                    if step.backwardNeedsInput { lastUse[i] = max(lastUse[i]!, backwardTime(step.node)) }
                    if i != 0 { firstGradient[i] = min(firstGradient[i] ?? .max, backwardTime(step.node)) }
                }
            }
            if training && step.backwardNeedsOutput { lastUse[step.node] = max(lastUse[step.node]!, backwardTime(step.node)) }
        }
        // a tensor computed in place lives on in its target's memory
        let aliases = Self.aliases(steps)
        for (node, root) in aliases { lastUse[root] = max(lastUse[root] ?? 0, lastUse[node]!) }
        // the input stays live to the end: a forward pass never overwrites it, so running the
        // executor again on the same images gives the same outputs (one batch of input is small
        // beside the activations)
        let end = ([lastUse[0]!] + steps.map { forwardTime($0.node) }).max()!
        var result = [MemoryPlan.Interval(tensor: .activation(0), size: inputCount * batch, start: 0, end: end)]
        // a training sum in place takes its trunk's gradient in place too: the trunk's gradient
        // lives in the sum's, which the backward pass reaches first
        let gradientRoots = training ? Self.gradientAliases(steps) : [:]
        var gradientEnd: [Int: Int] = [:]
        for step in steps {
            if aliases[step.node] == nil {
                let written = training && step.fusedWithProducer ? forwardTime(step.inputs[0]) : forwardTime(step.node)
                result.append(MemoryPlan.Interval(tensor: .activation(step.node), size: step.writesOwnOutput ? step.outputCount * batch : 0,
                                                  start: written, end: lastUse[step.node]!))
                if training, let conv = step.fusedConvNode {
                    // the raw conv output, read again by the block's backward; and its gradient
                    // (inference folds the block into the conv and needs neither)
                    result.append(MemoryPlan.Interval(tensor: .activation(conv), size: step.outputCount * batch,
                                                      start: forwardTime(step.node), end: backwardTime(step.node)))
                    result.append(MemoryPlan.Interval(tensor: .gradient(conv), size: step.outputCount * batch,
                                                      start: backwardTime(step.node), end: backwardTime(step.node)))
                }
            }
            if training {
                let start = step.node == last ? last + 1 : (firstGradient[step.node] ?? backwardTime(step.node))
                let end = step.fusedWithProducer ? backwardTime(step.inputs[0]) : backwardTime(step.node)
                if let root = gradientRoots[step.node] {
                    gradientEnd[root] = max(gradientEnd[root] ?? 0, end)
                    continue
                }
                result.append(MemoryPlan.Interval(tensor: .gradient(step.node), size: step.outputCount * batch,
                                                  start: start, end: end))
            }
        }
        for i in result.indices {
            if case .gradient(let node) = result[i].tensor, let end = gradientEnd[node] { result[i].end = max(result[i].end, end) }
        }
        return result
    }
}
