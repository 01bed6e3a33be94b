import DNALCore
import DNALKernels

/// The inference plan's rewrites, on the steps `Lowering` made.
struct InferencePlanner {
    var steps: [InferenceStep]
    /// See `Lowering.absorbedScatters`.
    let absorbedScatters: [Int: [(node: Int, name: String)?]]
}

extension Lowering {
    /// The inference plan: the layer steps, rewritten by `InferencePlanner.fuse`.
    func inferencePlan(output: Int) -> [InferenceStep] {
        var planner = InferencePlanner(steps: steps.map(InferenceStep.layer), absorbedScatters: absorbedScatters)
        planner.fuse(output: output)
        return planner.steps
    }
}

extension InferencePlanner {
    /// Inference-only rewrites of the plan around dense convolutions (no backward pass needs the
    /// tensors they remove):
    /// - a gather read only by a conv is done inside it (`Convolution.Fusion.gather`);
    /// - a conv whose output only feeds a two-input residual sum is added straight into the
    ///   sum's trunk, with the sum's activation, when nothing reads the trunk after the conv runs:
    ///   the sum becomes `inPlace` and its tensor is the trunk's (`PlannedStep.aliases`). A trunk step
    ///   that comes after the conv (a stage's first shortcut) is moved before it.
    /// - a conv read only by such a residual conv runs with it image by image (`convPair`), so
    ///   the block's intermediate never exists for the whole batch;
    /// - a dense conv, a depthwise conv and a dense conv, each reading only the one before
    ///   (an inverted-residual block), run a group of images at a time (`invertedResidual`);
    /// - consecutive pairs on one trunk run as one step (`convChain`), so the kernels can take
    ///   each trunk image through all of them at once;
    /// - a dense conv read only by a max pool runs with it a group of images at a time
    ///   (`convPool`), so the conv's full-size output never exists for the whole batch.
    /// A pruned ResNet block then reads its trunk channels and writes its kept channels back
    /// without the separate gathered, branch, intermediate and sum tensors.
    mutating func fuse(output: Int) {
        fuseGathers(output: output)
        scatterTrunks(output: output)
        fuseResiduals(output: output)
        fuseInvertedResiduals(output: output)
        pairConvs(output: output)
        gatherScatteredTrunks(output: output)
        chainPairs()
        startChainsAtScatters()
        poolConvs(output: output)
    }

    private mutating func fuseGathers(output: Int) {
        let readers = readers()
        var removed = Set<Int>()
        for (i, step) in steps.enumerated() {
            guard let kind = step.layerKind, Self.denseConv(kind) != nil,
                  let source = steps.firstIndex(where: { $0.node == step.inputs[0] }),
                  case .gather(_, let width, let index) = steps[source].layerKind, steps[source].node != output,
                  readers[steps[source].node] == [i] else { continue }
            let fusion = Convolution.Fusion(gather: index, gatherWidth: width)
            steps[i] = .fused(.init(node: step.node, name: step.name, inputs: steps[source].inputs,
                                    kind: .conv(InferenceStep.FusedConv(conv: kind, fusion: fusion, trunk: nil)),
                                    outputCount: step.outputCount, macs: step.macs))
            removed.insert(source)
        }
        steps = steps.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// A sum of two scattered inputs, one of them a conv only it reads (a stage's first block
    /// when the stem is pruned too): the other input is scattered into a tensor of the sum's
    /// width first (a sum of that one input: zeros and its channels written in one pass, block by
    /// block), so the conv can add into that as its trunk.
    private mutating func scatterTrunks(output: Int) {
        let readers = readers()
        var i = 0
        while i < steps.count {
            defer { i += 1 }
            let sum = steps[i]
            guard case .scatterAdd(let pixels, let width, let scatters, let activation) = sum.layerKind, sum.inputs.count == 2,
                  let s0 = scatters[0], let s1 = scatters[1], let absorbed = absorbedScatters[sum.node] else { continue }
            // the branch: a dense conv read only by this sum; the trunk: the other input
            guard let k = (0..<2).first(where: { k in
                      steps.first(where: { $0.node == sum.inputs[k] })?.layerKind.map { Self.denseConv($0) != nil } == true
                          && readers[sum.inputs[k]] == [i] && sum.inputs[k] != output
                  }), let scatter = absorbed[1 - k] else { continue }
            let trunkSource = sum.inputs[1 - k]
            let trunk = Step(node: scatter.node, name: scatter.name, inputs: [trunkSource],
                             kind: .scatterAdd(pixels: pixels, channels: width, scatters: [1 - k == 0 ? s0 : s1], activation: .none),
                             outputCount: pixels * width, macs: 0)
            var inputs = sum.inputs, maps: [[Int32]?] = scatters
            inputs[1 - k] = scatter.node
            maps[1 - k] = nil
            steps[i] = .layer(Step(node: sum.node, name: sum.name, inputs: inputs,
                                   kind: .scatterAdd(pixels: pixels, channels: width, scatters: maps, activation: activation),
                                   outputCount: sum.outputCount, macs: 0))
            steps.insert(.layer(trunk), at: i)
            i += 1
        }
    }

    private mutating func fuseResiduals(output: Int) {
        var a = 0
        while a < steps.count {
            defer { a += 1 }
            let sum = steps[a]
            guard case .scatterAdd(let pixels, let width, let scatters, let activation) = sum.layerKind, sum.inputs.count == 2 else { continue }
            let readers = readers()
            let position = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.node, $0.offset) })
            // the branch: a conv read only by this sum; the trunk: the other input, read by
            // nothing after the conv (its readers before it are the block's own convs)
            for k in 0..<2 {
                let branch = sum.inputs[k], trunk = sum.inputs[1 - k]
                guard scatters[1 - k] == nil, var b = position[branch], b < a, branch != output, trunk != 0, trunk != output,
                      var t = position[trunk], readers[branch] == [a],
                      (readers[trunk] ?? []).allSatisfy({ $0 < b || $0 == a }) else { continue }
                guard var fused = Self.fusedForm(steps[b]), let g = Self.denseConv(fused.conv), g.outHeight * g.outWidth == pixels,
                      Self.activation(of: fused.conv) == .none,
                      scatters[k].map({ $0.count == g.outChannels }) ?? (g.outChannels == width) else { continue }
                if t > b {
                    // the trunk is computed after the conv (a stage's first shortcut): run it just
                    // before, when its inputs are ready and no in-place step comes in between
                    guard steps[t].inputs.allSatisfy({ $0 == 0 || position[$0]! < b }),
                          steps[(b + 1)..<t].allSatisfy({ $0.writesOwnOutput && $0.aliasOf == nil }) else { continue }
                    steps.insert(steps.remove(at: t), at: b)
                    (t, b) = (b, b + 1)
                }
                precondition(t < b)
                fused.fusion.residual = true
                fused.fusion.scatter = scatters[k]
                fused.fusion.residualWidth = width
                fused.fusion.residualActivation = activation
                fused.trunk = trunk
                let conv = steps[b]
                steps[b] = .fused(.init(node: conv.node, name: conv.name, inputs: conv.inputs + [trunk], kind: .conv(fused),
                                        outputCount: conv.outputCount, macs: conv.macs))
                steps[a] = .fused(.init(node: sum.node, name: sum.name, inputs: sum.inputs, kind: .inPlace(of: trunk),
                                        outputCount: sum.outputCount, macs: 0))
                break
            }
        }
    }

    /// An expansion conv read only by a depthwise conv, read only by a dense conv (with or without
    /// a residual sum folded in) runs with them a group of images at a time (`InferenceStep.Kind.invertedResidual`).
    private mutating func fuseInvertedResiduals(output: Int) {
        // a stage's first shortcut conv, moved before the block's projection, sits between the
        // depthwise conv and it: it reads the block's input, so it can run before the expansion
        for i in steps.indices.dropLast(3) where Self.fusedForm(steps[i]) != nil && Self.isDepthwise(steps[i + 1]) {
            let between = steps[i + 2]
            let position = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.node, $0.offset) })
            if steps[i + 3].inputs.first == steps[i + 1].node, between.writesOwnOutput, between.aliasOf == nil,
               between.inputs.allSatisfy({ $0 == 0 || position[$0].map { $0 < i } == true }) {
                steps.insert(steps.remove(at: i + 2), at: i)
            }
        }
        let readers = readers()
        var i = 0, result: [InferenceStep] = []
        while i < steps.count {
            guard i + 2 < steps.count, let expand = Self.fusedForm(steps[i]), Self.isDepthwise(steps[i + 1]),
                  let depthwise = steps[i + 1].layerKind, let project = Self.wholeReader(steps[i + 2]),
                  steps[i + 1].inputs == [steps[i].node], steps[i + 2].inputs.first == steps[i + 1].node,
                  readers[steps[i].node] == [i + 1], readers[steps[i + 1].node] == [i + 2],
                  steps[i].node != output, steps[i + 1].node != output else {
                result.append(steps[i])
                i += 1
                continue
            }
            let last = steps[i + 2]
            result.append(.fused(.init(node: last.node, name: "\(steps[i].name)..\(last.name)", inputs: steps[i].inputs + last.inputs.dropFirst(),
                                       kind: .invertedResidual(expand: expand, depthwise: .init(conv: depthwise, fusion: .init(), trunk: nil),
                                                               project: project),
                                       outputCount: last.outputCount, macs: steps[i].macs + steps[i + 1].macs + last.macs)))
            i += 3
        }
        steps = result
    }

    /// Whether a step is a depthwise `conv` or `convBlock` layer.
    private static func isDepthwise(_ step: InferenceStep) -> Bool {
        switch step.layerKind {
        case .conv(let g, _, _): return g.isDepthwise
        case .convBlock(let b): return b.geometry.isDepthwise
        default: return false
        }
    }

    /// A dense conv step that reads its whole input (no gather), with or without a residual.
    private static func wholeReader(_ step: InferenceStep) -> InferenceStep.FusedConv? {
        if case .conv(let c) = step.fusedKind { return c.fusion.gather == nil ? c : nil }
        return fusedForm(step)
    }

    /// A conv read only by the next step, a conv that adds into a trunk (a residual block's two
    /// convs), runs with it image by image (`InferenceStep.Kind.convPair`).
    private mutating func pairConvs(output: Int) {
        // a stage's first shortcut, moved before the block's second conv, sits between the two:
        // it runs first instead (it reads neither, and writes a tensor of its own)
        for i in steps.indices.dropLast(2) where Self.fusedForm(steps[i]) != nil {
            let between = steps[i + 1]
            if steps[i + 2].inputs.first == steps[i].node, !between.inputs.contains(steps[i].node),
               between.writesOwnOutput, between.aliasOf == nil, Self.fusedForm(between) == nil {
                steps.swapAt(i, i + 1)
            }
        }
        let readers = readers()
        var i = 0, paired: [InferenceStep] = []
        while i < steps.count {
            defer { i += 1 }
            guard i + 1 < steps.count, steps[i].node != output, readers[steps[i].node] == [i + 1],
                  case .conv(let second) = steps[i + 1].fusedKind, second.fusion.residual, second.fusion.gather == nil,
                  steps[i + 1].inputs[0] == steps[i].node, let first = Self.fusedForm(steps[i]) else {
                paired.append(steps[i])
                continue
            }
            let b = steps[i + 1]
            paired.append(.fused(.init(node: b.node, name: b.name, inputs: steps[i].inputs + b.inputs.dropFirst(),
                                       kind: .convPair(first: first, second: second), outputCount: b.outputCount,
                                       macs: steps[i].macs + b.macs)))
            i += 1
        }
        steps = paired
    }

    /// A pair whose first conv reads a tensor X that is also scattered, alone, into the trunk the
    /// pair adds into (a stage's first block when the stem is pruned: `scatterTrunks`) reads the
    /// trunk through the scatter's channel list instead: until the pair's sum, trunk channel
    /// scatter[k] is X's channel k. Its first conv then reads the trunk as every later block's
    /// does, and `chainPairs` can take the stage's first block into its chain.
    private mutating func gatherScatteredTrunks(output: Int) {
        let readers = readers()
        let position = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.node, $0.offset) })
        for (i, step) in steps.enumerated() {
            guard case .convPair(var first, let second) = step.fusedKind, first.fusion.gather == nil,
                  let trunk = second.trunk, let x = step.inputs.first, x != trunk, x != output, let t = position[trunk], t < i,
                  case .scatterAdd(_, let width, let scatters, .none) = steps[t].layerKind, steps[t].inputs == [x],
                  scatters.count == 1, let index = scatters[0], index.count == Self.denseConv(first.conv)?.inChannels,
                  Set(readers[x] ?? []) == [t, i] else { continue }
            first.fusion.gather = index
            first.fusion.gatherWidth = width
            var inputs = step.inputs
            inputs[0] = trunk
            steps[i] = .fused(.init(node: step.node, name: step.name, inputs: inputs, kind: .convPair(first: first, second: second),
                                    outputCount: step.outputCount, macs: step.macs))
        }
    }

    /// Runs of two or more pairs where each pair's first conv reads the trunk the previous pair
    /// added into (a stage's blocks after its first), at one map size, become one `convChain`
    /// step. Their in-place sums stay, after it, as the aliases later steps read the trunk by.
    private mutating func chainPairs() {
        var result: [InferenceStep] = [], i = 0
        while i < steps.count {
            var blocks: [(first: InferenceStep.FusedConv, second: InferenceStep.FusedConv)] = [], sums: [InferenceStep] = []
            var j = i
            while j + 1 < steps.count, case .convPair(let first, let second) = steps[j].fusedKind, let trunk = second.trunk,
                  steps[j].inputs[0] == trunk, case .inPlace(let of) = steps[j + 1].fusedKind, of == trunk,
                  Self.keepsMapSize(first), Self.keepsMapSize(second),
                  blocks.isEmpty || trunk == sums.last!.node {
                blocks.append((first, second))
                sums.append(steps[j + 1])
                j += 2
            }
            guard blocks.count >= 2 else {
                result.append(steps[i])
                i += 1
                continue
            }
            let head = steps[i], last = steps[j - 2]
            result.append(.fused(.init(node: head.node, name: "\(head.name)..\(last.name)", inputs: head.inputs, kind: .convChain(blocks, start: nil),
                                       outputCount: head.outputCount,
                                       macs: stride(from: i, to: j, by: 2).reduce(0) { $0 + steps[$1].macs })))
            result += sums
            i = j
        }
        steps = result
    }

    /// A chain whose trunk is, just before it, a scatter of one tensor (a stage's first block on
    /// a pruned stem, `scatterTrunks`) writes that trunk itself: the planar chain writes a few
    /// images at a time and reads them back from cache (`Convolution.forwardChain`'s `start`).
    /// The scatter's step stays, as a `chainStart`, to hold the trunk's tensor; the chain reads
    /// the scattered tensor, which lives until the chain has run.
    private mutating func startChainsAtScatters() {
        for i in steps.indices.dropFirst() {
            guard case .convChain(let blocks, nil) = steps[i].fusedKind, let trunk = blocks[0].second.trunk,
                  case .scatterAdd(_, _, let scatters, let activation) = steps[i - 1].layerKind, activation == .none,
                  steps[i - 1].node == trunk, steps[i - 1].inputs.count == 1, scatters.count == 1, let index = scatters[0] else { continue }
            let scatter = steps[i - 1], chain = steps[i], source = scatter.inputs[0]
            steps[i - 1] = .fused(.init(node: scatter.node, name: scatter.name, inputs: scatter.inputs, kind: .chainStart,
                                        outputCount: scatter.outputCount, macs: 0))
            steps[i] = .fused(.init(node: chain.node, name: chain.name, inputs: chain.inputs + [source],
                                    kind: .convChain(blocks, start: .init(node: source, index: index)),
                                    outputCount: chain.outputCount, macs: chain.macs))
        }
    }

    /// A dense conv (its batch norm, gate and activation folded) whose output only a max pool
    /// reads becomes one `convPool` step with it.
    private mutating func poolConvs(output: Int) {
        let readers = readers()
        var result: [InferenceStep] = [], i = 0
        while i < steps.count {
            guard i + 1 < steps.count, steps[i].node != output, readers[steps[i].node] == [i + 1],
                  let conv = Self.fusedForm(steps[i]), conv.fusion == Convolution.Fusion(),
                  case .maxPool(let pool) = steps[i + 1].layerKind, steps[i + 1].inputs == [steps[i].node] else {
                result.append(steps[i])
                i += 1
                continue
            }
            let p = steps[i + 1]
            result.append(.fused(.init(node: p.node, name: "\(steps[i].name)..\(p.name)", inputs: steps[i].inputs,
                                       kind: .convPool(conv: conv, pool: pool), outputCount: p.outputCount,
                                       macs: steps[i].macs)))
            i += 2
        }
        steps = result
    }

    /// Whether a fused conv keeps its input's height and width (stride 1, same padding).
    private static func keepsMapSize(_ fused: InferenceStep.FusedConv) -> Bool {
        guard let g = denseConv(fused.conv) else { return false }
        return g.stride == 1 && g.outHeight == g.inHeight && g.outWidth == g.inWidth
    }

    /// A dense conv step as a fused call without a residual (before its residual or pairing).
    private static func fusedForm(_ step: InferenceStep) -> InferenceStep.FusedConv? {
        switch step {
        case .layer(let s):
            return denseConv(s.kind) == nil ? nil : InferenceStep.FusedConv(conv: s.kind, fusion: Convolution.Fusion(), trunk: nil)
        case .fused(let f):
            if case .conv(let c) = f.kind, !c.fusion.residual { return c }
            return nil
        }
    }

    /// The geometry of a `conv` or `convBlock` step when it is dense (ungrouped).
    private static func denseConv(_ kind: Step.Kind) -> ConvGeometry? {
        switch kind {
        case .conv(let g, _, _): return g.groups == 1 ? g : nil
        case .convBlock(let b): return b.geometry.groups == 1 ? b.geometry : nil
        default: return nil
        }
    }

    /// Readers of each node's tensor: step indices.
    private func readers() -> [Int: [Int]] {
        var result: [Int: [Int]] = [:]
        for (i, step) in steps.enumerated() {
            for input in step.inputs { result[input, default: []].append(i) }
        }
        return result
    }

    /// The activation a conv step applies in its own store.
    private static func activation(of kind: Step.Kind) -> FusedNormKernel.Activation {
        if case .convBlock(let b) = kind { return b.activation }
        return .none
    }
}
