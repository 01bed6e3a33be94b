import DNALKernels
import Dispatch

extension Executor {
    /// Softmax cross-entropy of the last forward pass against `labels`, then the backward pass:
    /// parameter gradients are zeroed and recomputed (frozen groups' weight gradients are skipped).
    /// Returns the mean loss.
    /// - Throws: when there was no training forward pass, or the logits are not finite (NaN/inf),
    ///   or a label is outside [0, classes).
    @discardableResult
    public func backward(labels: UnsafePointer<Int32>) throws -> Double {
        guard training else { throw RuntimeError("backward needs an executor made for training") }
        guard forwardDone else { throw RuntimeError("backward needs a forward pass first") }
        let n = currentBatch
        parameters.zeroGradients()
        guard let loss = LossKernel.softmaxCrossEntropy(logits: logits, labels: labels, batch: n, classes: graph.classes,
                                                        dLogits: gradient(graph.output)) else {
            for i in 0..<n where labels[i] < 0 || labels[i] >= Int32(graph.classes) {
                throw RuntimeError("label \(labels[i]) of sample \(i) is outside 0..<\(graph.classes)")
            }
            throw RuntimeError("the network produced non-finite logits (NaN or infinity)")
        }
        takenSums = [:]
        var ready = Set<Int>([graph.output])
        var pending: [Int: [PendingGradient]] = [:]
        for (i, step) in layers.enumerated().reversed() {
            let start = profile ? DispatchTime.now().uptimeNanoseconds : 0
            backward(step, batch: n, ready: &ready, pending: &pending)
            if profile { stepSeconds[i].backward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
        forwardDone = false
        return loss
    }

    /// A gather's gradient that its input's producer adds in, in the pass that reads that
    /// gradient anyway (`Step.fusedWithProducer`): the gather step's node, its channels.
    struct PendingGradient {
        var node: Int
        var index: [Int32]
    }

    /// Writes a gradient for `producer`'s output through `write`: straight into its gradient
    /// buffer the first time, else into a temporary that is added (several consumers' sums).
    /// Nothing is written for the network input.
    private func deliver(to producer: Int, count: Int, ready: inout Set<Int>, _ write: (UnsafeMutablePointer<Float>) -> Void) {
        guard producer != 0 else { return }
        if ready.insert(producer).inserted {
            write(gradient(producer))
        } else {
            let temp = workspace.buffer(Slot.gradientTemp, floats: count)
            write(temp)
            TensorOps.add(gradient(producer), temp, count: count, into: gradient(producer), parallel: parallel)
        }
    }

    /// `deliver` for a writer that can add into its output itself (`write(buffer, accumulate)`):
    /// a second consumer's gradient goes straight into the producer's, without the temporary
    /// and the pass that adds it (ResNet's trunk: each block's conv adds to the sum's gradient).
    private func deliverAccumulating(to producer: Int, ready: inout Set<Int>,
                                     _ write: (UnsafeMutablePointer<Float>, Bool) -> Void) {
        guard producer != 0 else { return }
        write(gradient(producer), !ready.insert(producer).inserted)
    }

    /// A conv's input gradient, added in the kernel's store where the producer already has one.
    private func deliverConvInput(_ g: ConvGeometry, to input: Int, count: Int, dOutput: UnsafePointer<Float>,
                                  weight: UnsafePointer<Float>, ready: inout Set<Int>) {
        let run = { (dx: UnsafeMutablePointer<Float>, accumulate: Bool) in
            Convolution.backwardInput(g, dOutput: dOutput, weight: weight, dInput: dx, accumulate: accumulate,
                                      parallel: self.parallel, workspace: self.workspace)
        }
        if Convolution.backwardInputAccumulates(g) {
            deliverAccumulating(to: input, ready: &ready, run)
        } else {
            deliver(to: input, count: count, ready: &ready) { run($0, false) }
        }
    }

    private func backward(_ step: Step, batch n: Int, ready: inout Set<Int>, pending: inout [Int: [PendingGradient]]) {
        let dy = gradient(step.node), x = activation(step.inputs[0]), input = step.inputs[0]
        let inCount = n * graph.nodes[input].shape.elementCount
        let p = parameters
        switch step.kind {
        case .conv(var g, let w, let b):
            g.batch = n
            if !frozen.contains(.conv) {
                Convolution.backwardWeight(g, x: x, dOutput: dy, dWeight: p.gradient(w), dBias: b.map { p.gradient($0) },
                                           parallel: parallel, workspace: workspace)
            }
            deliverConvInput(g, to: input, count: inCount, dOutput: dy, weight: p.pointer(w), ready: &ready)
        case .convBlock(let block):
            var g = block.geometry
            g.batch = n
            let raw = activation(block.convNode), dRaw = gradient(block.convNode)
            let c = g.outChannels, pixels = n * g.outHeight * g.outWidth
            let factors = gateFactors(block.gate, channels: c)
            let slopes = block.gate.flatMap { gate.slopes(alpha: p.pointer($0.alpha), mask: p.pointer($0.mask), channels: c) }
            if (g.isDepthwise || Convolution.pointwiseBackwardApplies(g)) && !frozen.contains(.conv) {
                // a group of images at a time (one image for depthwise convs), so the conv's output
                // gradient is read back from cache
                let saved = fusedSaved[step.node]!
                let norm = FusedNormKernel.backwardFactors(dOutput: dy, x: raw, pixels: pixels, channels: c,
                                                           gamma: p.pointer(block.norm.gamma), shift: p.pointer(block.norm.shift),
                                                           gate: factors, activation: block.activation, saved: saved,
                                                           dGamma: p.gradient(block.norm.gamma), dShift: p.gradient(block.norm.shift),
                                                           dAlpha: block.gate.map { p.gradient($0.alpha) }, gateSlopes: slopes,
                                                           sums: takenSums.removeValue(forKey: step.node), parallel: parallel)
                let inputSums = deferredSums(step, g, ready: ready)
                let perImage = g.outHeight * g.outWidth
                let produce = { (images: Range<Int>, rows: UnsafeMutablePointer<Float>) in
                    FusedNormKernel.backwardData(norm, dOutput: dy, x: raw,
                                                 pixels: (images.lowerBound * perImage)..<(images.upperBound * perImage),
                                                 channels: c, gate: factors, activation: block.activation, saved: saved,
                                                 dInputRows: rows, stream: 0)
                }
                let weight = p.pointer(block.weight), dWeight = p.gradient(block.weight), dBias = block.bias.map { p.gradient($0) }
                // a deferred block's output is read as the forward pass read it: its raw output through its affine
                let source = step.readsThrough.map { activation($0.rawNode) } ?? x, affine = step.readsThrough.map(inputAffine)
                if g.isDepthwise {
                    let run = { (dx: UnsafeMutablePointer<Float>?) in
                        Convolution.depthwiseBackward(g, x: source, through: affine, weight: weight,
                                                      dInput: dx, dWeight: dWeight, dBias: dBias,
                                                      parallel: self.parallel, workspace: self.workspace, produce: produce,
                                                      inputDone: inputSums?.1)
                    }
                    if input == 0 { run(nil) } else { deliver(to: input, count: inCount, ready: &ready) { run($0) } }
                } else {
                    let run = { (dx: UnsafeMutablePointer<Float>?, accumulate: Bool) in
                        Convolution.pointwiseBackward(g, x: source, through: affine, weight: weight,
                                                      dInput: dx, accumulate: accumulate, dWeight: dWeight,
                                                      dBias: dBias, parallel: self.parallel, workspace: self.workspace,
                                                      produce: produce, inputDone: inputSums?.1)
                    }
                    if input == 0 { run(nil, false) } else { deliverAccumulating(to: input, ready: &ready) { run($0, $1) } }
                }
                if let (sums, _) = inputSums { takenSums[sums.through.node] = sums.total }
                return
            }
            FusedNormKernel.backward(dOutput: dy, x: raw, pixels: pixels, channels: c, gamma: p.pointer(block.norm.gamma),
                                     shift: p.pointer(block.norm.shift), gate: factors, activation: block.activation,
                                     saved: fusedSaved[step.node]!, dInput: dRaw, dGamma: p.gradient(block.norm.gamma),
                                     dShift: p.gradient(block.norm.shift), dAlpha: block.gate.map { p.gradient($0.alpha) },
                                     gateSlopes: slopes, sums: takenSums.removeValue(forKey: step.node), parallel: parallel)
            if !frozen.contains(.conv) {
                Convolution.backwardWeight(g, x: x, dOutput: dRaw, dWeight: p.gradient(block.weight),
                                           dBias: block.bias.map { p.gradient($0) }, parallel: parallel, workspace: workspace)
            }
            deliverConvInput(g, to: input, count: inCount, dOutput: dRaw, weight: p.pointer(block.weight), ready: &ready)
        case .linear(let inF, let outF, let w, let b, let chw):
            let g = ConvGeometry.linear(batch: n, inFeatures: inF, outFeatures: outF)
            var source = UnsafePointer(x)
            if let chw {
                let t = workspace.buffer(Slot.chwInput, floats: n * inF)
                TensorOps.toCHW(x, batch: n, pixels: chw.pixels, channels: chw.channels, into: t)
                source = UnsafePointer(t)
            }
            if !frozen.contains(.linear) {
                Convolution.backwardWeight(g, x: source, dOutput: dy, dWeight: p.gradient(w), dBias: b.map { p.gradient($0) },
                                           parallel: parallel, workspace: workspace)
            }
            deliver(to: input, count: inCount, ready: &ready) { dx in
                guard let chw else {
                    Convolution.backwardInput(g, dOutput: dy, weight: p.pointer(w), dInput: dx, parallel: parallel, workspace: workspace)
                    return
                }
                let t = workspace.buffer(Slot.chwGradient, floats: n * inF)
                Convolution.backwardInput(g, dOutput: dy, weight: p.pointer(w), dInput: t, parallel: parallel, workspace: workspace)
                TensorOps.fromCHW(t, batch: n, pixels: chw.pixels, channels: chw.channels, into: dx)
            }
        case .batchNorm(let pixels, let c, let gamma, let shift, _, _, _, _):
            let saved = batchNormSaved[step.node]!
            let run = { (dx: UnsafeMutablePointer<Float>) in
                BatchNormKernel.backward(dOutput: dy, x: x, pixels: n * pixels, channels: c, gamma: p.pointer(gamma), saved: saved,
                                         dInput: dx, dGamma: p.gradient(gamma), dShift: p.gradient(shift), parallel: self.parallel)
            }
            if input == 0 { run(workspace.buffer(Slot.gradientTemp, floats: inCount)) } else { deliver(to: input, count: inCount, ready: &ready, run) }
        case .gate(let pixels, let c, let alpha, let mask):
            let factors = gate.factors(alpha: p.pointer(alpha), mask: p.pointer(mask), channels: c)
            let slopes = gate.slopes(alpha: p.pointer(alpha), mask: p.pointer(mask), channels: c)
            let run = { (dx: UnsafeMutablePointer<Float>) in
                GateKernel.backward(dOutput: dy, x: x, pixels: n * pixels, channels: c, factors: factors, slopes: slopes,
                                    dInput: dx, dAlpha: p.gradient(alpha), parallel: self.parallel)
            }
            if input == 0 { run(workspace.buffer(Slot.gradientTemp, floats: inCount)) } else { deliver(to: input, count: inCount, ready: &ready, run) }
        case .activation(let relu6):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                ActivationKernel.backward(dOutput: dy, y: activation(step.node), count: inCount, relu6: relu6, dInput: dx, parallel: parallel)
            }
        case .maxPool(var g):
            g.batch = n
            deliver(to: input, count: inCount, ready: &ready) { dx in
                PoolKernel.maxBackward(g, dOutput: dy, argmax: argmax[step.node]!, dInput: dx, parallel: parallel)
            }
        case .avgPool(var g):
            g.batch = n
            deliver(to: input, count: inCount, ready: &ready) { dx in
                PoolKernel.averageBackward(g, dOutput: dy, dInput: dx, parallel: parallel)
            }
        case .globalAvgPool(let pixels, let c):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                PoolKernel.globalBackward(dOutput: dy, batch: n, pixels: pixels, channels: c, dInput: dx, parallel: parallel)
            }
        case .flatten(let pixels, let c):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                TensorOps.fromCHW(dy, batch: n, pixels: pixels, channels: c, into: dx)
            }
        case .add:
            for i in step.inputs {
                deliver(to: i, count: inCount, ready: &ready) { dx in TensorOps.copy(dy, count: inCount, into: dx, parallel: parallel) }
            }
        case .scatterAdd(let pixels, let c, let scatters, let act):
            let count = n * graph.nodes[step.node].shape.elementCount
            var adds = pending.removeValue(forKey: step.node) ?? []
            // gathers' gradients the pass below does not take in are added to the sum's first
            while adds.count > (act == .none ? 0 : 1) {
                let a = adds.removeLast()
                TensorOps.scatterAddChannels(gradient(a.node), ldx: a.index.count, pixels: n * pixels, index: a.index, into: dy,
                                             ldy: c, parallel: parallel)
            }
            // through the fused activation first: the sum's gradient, then each input's share
            var dSum = UnsafePointer(dy)
            var delivered = Set<Int>()
            if act != .none {
                // the sum's gradient is the whole gradient of an input read without a channel
                // map: written there directly, it is one pass fewer than a temporary and a copy
                // (an input whose gradient this pass may write: not the network's input, none yet)
                func open(_ k: Int) -> Bool { step.inputs[k] != 0 && !ready.contains(step.inputs[k]) }
                func fullWidth(_ k: Int) -> Bool {
                    scatters[k] == nil && graph.nodes[step.inputs[k]].shape.elementCount * n == count
                }
                let direct = step.inputs.indices.first { open($0) && fullWidth($0) }
                // and one more input's gradient is taken out in the same pass: a scattered one's
                // channels, or all of a second full-width input's (ResNet's branch), which
                // otherwise took a copy of the sum's gradient
                let branch = step.inputs.indices.first { k in
                    k != direct && open(k) && (scatters[k] != nil || fullWidth(k))
                        && step.inputs[k] != direct.map({ step.inputs[$0] })  // x + x: both shares add up
                }
                let branchGather = branch.map { k in
                    let index = scatters[k] ?? TensorOps.allChannels(c)
                    return TensorOps.ChannelGather(gradient(step.inputs[k]), ld: index.count, index: index)
                }
                let t = direct.map { gradient(step.inputs[$0]) } ?? workspace.buffer(Slot.sumGradient, floats: count)
                TensorOps.sumScatterBackward(dOutput: dy, slopeMask: slopeMasks[step.node]!, width: c, pixels: n * pixels,
                                             pending: adds.first.map { TensorOps.SumInput(gradient($0.node), ld: $0.index.count, index: $0.index) },
                                             activation: act, into: t, branch: branchGather, parallel: parallel)
                for k in [direct, branch].compactMap({ $0 }) {
                    ready.insert(step.inputs[k])
                    delivered.insert(k)
                }
                dSum = UnsafePointer(t)
            }
            for (k, i) in step.inputs.enumerated() where !delivered.contains(k) {
                let count = n * graph.nodes[i].shape.elementCount
                deliver(to: i, count: count, ready: &ready) { dx in
                    if let index = scatters[k] {
                        TensorOps.gatherChannels(dSum, ldx: c, pixels: n * pixels, index: index, into: dx, ldy: index.count, parallel: parallel)
                    } else {
                        TensorOps.copy(dSum, count: count, into: dx, parallel: parallel)
                    }
                }
            }
        case .concat(let pixels, let channels):
            let total = channels.reduce(0, +)
            var offset = 0
            for (i, c) in zip(step.inputs, channels) {
                deliver(to: i, count: n * pixels * c, ready: &ready) { dx in
                    TensorOps.copyChannels(dy + offset, ldx: total, pixels: n * pixels, width: c, into: dx, ldy: c,
                                           accumulate: false, parallel: parallel)
                }
                offset += c
            }
        case .zeroPad(let h, let w, let ci, let s, let co, let off):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                TensorOps.zeroPadBackward(dOutput: dy, batch: n, height: h, width: w, inChannels: ci, stride: s, outChannels: co,
                                          offset: off, dInput: dx, parallel: parallel)
            }
        case .gather(let pixels, let ci, let index):
            // a pruned block's gather reads a trunk whose gradient the block's sum delivered
            // already: its channels are added there in place (a zeroed temporary and a pass that
            // adds it moved the whole trunk twice more), or, where the trunk's producer runs
            // next, by that producer in its own pass over the trunk's gradient
            if step.fusedWithProducer && ready.contains(input) {
                pending[input, default: []].append(PendingGradient(node: step.node, index: index))
                return
            }
            deliverAccumulating(to: input, ready: &ready) { dx, accumulate in
                if !accumulate { dx.update(repeating: 0, count: inCount) }
                TensorOps.scatterAddChannels(dy, ldx: index.count, pixels: n * pixels, index: index, into: dx, ldy: ci, parallel: parallel)
            }
        case .scatter(let pixels, let co, let index):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                TensorOps.gatherChannels(dy, ldx: co, pixels: n * pixels, index: index, into: dx, ldy: index.count, parallel: parallel)
            }
        case .dropout(let prob):
            deliver(to: input, count: inCount, ready: &ready) { dx in
                if prob > 0 {
                    TensorOps.multiply(dy, dropoutMasks[step.node]!, count: inCount, into: dx, parallel: parallel)
                } else {
                    TensorOps.copy(dy, count: inCount, into: dx, parallel: parallel)
                }
            }
        case .identity:
            deliver(to: input, count: inCount, ready: &ready) { dx in TensorOps.copy(dy, count: inCount, into: dx, parallel: parallel) }
        }
    }
}

extension Executor {
    /// The mean softmax cross-entropy of the last forward pass, without a backward pass; nil for
    /// non-finite logits or out-of-range labels.
    public func loss(labels: UnsafePointer<Int32>) -> Double? {
        let n = currentBatch
        let scratch = workspace.buffer(Slot.gradientTemp, floats: n * graph.classes)
        return LossKernel.softmaxCrossEntropy(logits: logits, labels: labels, batch: n, classes: graph.classes, dLogits: scratch)
    }
}
