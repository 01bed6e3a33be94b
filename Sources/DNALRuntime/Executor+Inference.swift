import DNALKernels

extension Executor {
    /// A step of an inference plan (`InferenceStep.Fused`): fused convs, pairs and chains, their
    /// batch norms and gates folded into the conv, sums computed in place on the trunk.
    func forward(_ step: InferenceStep.Fused, batch n: Int) {
        switch step.kind {
        case .inPlace:
            return  // the fused conv that wrote the trunk computed it (its branch may have no tensor)
        case .chainStart:
            return  // the chain after it writes the trunk
        case .conv(let fused):
            let x = activation(step.inputs[0])
            let out = fused.trunk.map { activation($0) } ?? activation(step.node)
            withCall(fused, batch: n) { call in
                Convolution.forwardFused(call.geometry, fusion: call.fusion, x: x, weight: call.weight, bias: call.bias, y: out,
                                         outputScale: call.outputScale, activation: call.activation, parallel: parallel,
                                         workspace: workspace)
            }
        case .convPair(let first, let second):
            let x = activation(step.inputs[0])
            let out = second.trunk.map { activation($0) } ?? activation(step.node)
            withCall(first, batch: n) { a in
                withCall(second, batch: n) { b in
                    Convolution.forwardPair(a, b, x: x, y: out, parallel: parallel, workspace: workspace)
                }
            }
        case .invertedResidual(let expand, let depthwise, let project):
            let x = activation(step.inputs[0])
            let out = project.trunk.map { activation($0) } ?? activation(step.node)
            withCall(expand, batch: n) { a in
                withDepthwiseCall(depthwise, batch: n) { d in
                    withCall(project, batch: n) { c in
                        Convolution.forwardInvertedResidual(a, d, c, x: x, y: out, parallel: parallel, workspace: workspace)
                    }
                }
            }
        case .convPool(let conv, var pool):
            pool.batch = n
            let x = activation(step.inputs[0]), out = activation(step.node)
            withCall(conv, batch: n) { call in
                Convolution.forwardPooled(call, pool: pool, x: x, y: out, parallel: parallel, workspace: workspace)
            }
        case .convChain(let blocks, let start):
            let trunk = activation(blocks[0].second.trunk!)
            let from = start.map { Convolution.ChainStart(source: activation($0.node), ld: $0.index.count, index: $0.index) }
            withCalls(blocks.flatMap { [$0.first, $0.second] }, batch: n) { calls in
                let pairs = stride(from: 0, to: calls.count, by: 2).map { (first: calls[$0], second: calls[$0 + 1]) }
                Convolution.forwardChain(pairs, trunk: trunk, start: from, parallel: parallel, workspace: workspace)
            }
        }
    }

    /// Every fused conv step as the kernels' call, alive during `body`.
    private func withCalls<R>(_ fused: [InferenceStep.FusedConv], batch n: Int, done: [Convolution.FusedCall] = [],
                              _ body: ([Convolution.FusedCall]) -> R) -> R {
        guard let head = fused.first else { return body(done) }
        return withCall(head, batch: n) { call in withCalls(Array(fused.dropFirst()), batch: n, done: done + [call], body) }
    }

    /// A depthwise conv step as the kernels' call, its batch norm and gate folded (alive during `body`).
    private func withDepthwiseCall<R>(_ fused: InferenceStep.FusedConv, batch n: Int, _ body: (Convolution.DepthwiseCall) -> R) -> R {
        withFoldedConv(fused, batch: n) { body(Convolution.DepthwiseCall($0, weight: $1, bias: $2, outputScale: $3, activation: $4)) }
    }

    /// A fused conv step as the kernels' call, its batch norm and gate folded (alive during `body`).
    private func withCall<R>(_ fused: InferenceStep.FusedConv, batch n: Int, _ body: (Convolution.FusedCall) -> R) -> R {
        withFoldedConv(fused, batch: n) {
            body(Convolution.FusedCall($0, fusion: fused.fusion, weight: $1, bias: $2, outputScale: $3, activation: $4))
        }
    }

    /// A fused conv step's parts for the kernels, alive during `body`: its geometry at batch `n`,
    /// weights, bias and per-channel output scale (a `convBlock`'s batch norm and gate folded into
    /// the last two; a plain `conv` has no scale) and its activation.
    private func withFoldedConv<R>(_ fused: InferenceStep.FusedConv, batch n: Int,
                                   _ body: (ConvGeometry, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?,
                                            FusedNormKernel.Activation) -> R) -> R {
        let p = parameters
        switch fused.conv {
        case .conv(var g, let w, let b):
            g.batch = n
            return body(g, UnsafePointer(p.pointer(w)), b.map { UnsafePointer(p.pointer($0)) }, nil, .none)
        case .convBlock(let block):
            var g = block.geometry
            g.batch = n
            let (scale, shift) = folded(block)
            return scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { b in body(g, UnsafePointer(p.pointer(block.weight)), b.baseAddress, s.baseAddress, block.activation) }
            }
        default:
            preconditionFailure("only convolutions are fused")
        }
    }
}
