import DNALKernels
import Dispatch

extension Executor {
    /// Workspace slots the executor itself uses (the kernels use 0 and 8+).
    enum Slot {
        static let chwInput = 1
        static let gradientTemp = 2
        static let chwGradient = 3
        /// A fused sum's gradient behind its activation (deliver's own temporary is gradientTemp).
        static let sumGradient = 4
    }

    /// Runs every step on the `batch` samples already in `input`. In a training executor batch
    /// norms use batch statistics (and update their running ones) and dropout drops.
    public func forward(batch n: Int) throws {
        guard n >= 1 && n <= maxBatch else {
            throw RuntimeError("batch of \(n) samples; this executor was planned for 1 to \(maxBatch)")
        }
        currentBatch = n
        if profile && stepSeconds.count != steps.count { stepSeconds = Array(repeating: (0, 0), count: steps.count) }
        for (i, step) in steps.enumerated() {
            let start = profile ? DispatchTime.now().uptimeNanoseconds : 0
            forward(step, batch: n)
            if profile { stepSeconds[i].forward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
        forwardDone = true
    }

    /// The per-channel factor of an optional gate in the current mode (1 where there is none).
    func gateFactors(_ gate: Step.GateNames?, channels: Int) -> [Float] {
        guard let gate else { return Array(repeating: 1, count: channels) }
        return self.gate.factors(alpha: parameters.pointer(gate.alpha), mask: parameters.pointer(gate.mask), channels: channels)
    }

    private func forward(_ step: InferenceStep, batch n: Int) {
        switch step {
        case .layer(let layer): forward(layer, batch: n)
        case .fused(let fused): forward(fused, batch: n)
        }
    }

    private func forward(_ step: Step, batch n: Int) {
        let x = activation(step.inputs[0]), y = activation(step.node)
        let count = n * step.outputCount
        let p = parameters
        switch step.kind {
        case .conv(var g, let w, let b):
            g.batch = n
            Convolution.forward(g, x: x, weight: p.pointer(w), bias: b.map { p.pointer($0) }, y: y, parallel: parallel,
                                workspace: workspace)
        case .convBlock(let block):
            var g = block.geometry
            g.batch = n
            let norm = block.norm, c = g.outChannels, pixels = n * g.outHeight * g.outWidth
            let factors = gateFactors(block.gate, channels: c)
            guard training else {
                // Inference: batch norm and gate fold into the conv's weights and bias, the
                // activation into its store; the output is written once.
                let (scale, shift) = folded(block)
                Convolution.forward(g, x: x, weight: p.pointer(block.weight), bias: shift, y: y, outputScale: scale,
                                    activation: block.activation, parallel: parallel, workspace: workspace)
                return
            }
            let raw = activation(block.convNode)
            if let through = step.readsThrough {
                let read = g.isDepthwise ? Convolution.depthwiseForward : Convolution.pointwiseForward
                read(g, activation(through.rawNode), inputAffine(through), p.pointer(block.weight), block.bias.map { p.pointer($0) },
                     raw, parallel, workspace)
            } else {
                Convolution.forward(g, x: x, weight: p.pointer(block.weight), bias: block.bias.map { p.pointer($0) }, y: raw,
                                    parallel: parallel, workspace: workspace)
            }
            if training {
                var saved = fusedSaved[step.node] ?? FusedNormKernel.Saved(channels: c)
                FusedNormKernel.forwardTraining(x: raw, pixels: pixels, channels: c, gamma: p.pointer(norm.gamma),
                                                shift: p.pointer(norm.shift), epsilon: norm.epsilon, momentum: norm.momentum,
                                                runningMean: p.pointer(norm.mean), runningVariance: p.pointer(norm.variance),
                                                gate: factors, activation: block.activation, y: step.outputDeferred ? nil : y,
                                                saved: &saved, parallel: parallel)
                fusedSaved[step.node] = saved
            } else {
                FusedNormKernel.forwardInference(x: raw, pixels: pixels, channels: c, gamma: p.pointer(norm.gamma),
                                                 shift: p.pointer(norm.shift), epsilon: norm.epsilon, runningMean: p.pointer(norm.mean),
                                                 runningVariance: p.pointer(norm.variance), gate: factors,
                                                 activation: block.activation, y: y, parallel: parallel)
            }
        case .linear(let inF, let outF, let w, let b, let chw):
            var source = UnsafePointer(x)
            if let chw {
                let t = workspace.buffer(Slot.chwInput, floats: n * inF)
                TensorOps.toCHW(x, batch: n, pixels: chw.pixels, channels: chw.channels, into: t)
                source = UnsafePointer(t)
            }
            Convolution.forward(.linear(batch: n, inFeatures: inF, outFeatures: outF), x: source, weight: p.pointer(w),
                                bias: b.map { p.pointer($0) }, y: y, parallel: parallel, workspace: workspace)
        case .batchNorm(let pixels, let c, let gamma, let shift, let mean, let variance, let eps, let momentum):
            if training {
                var saved = batchNormSaved[step.node] ?? BatchNormKernel.Saved(channels: c)
                BatchNormKernel.forwardTraining(x: x, pixels: n * pixels, channels: c, gamma: p.pointer(gamma),
                                                shift: p.pointer(shift), epsilon: eps, momentum: momentum,
                                                runningMean: p.pointer(mean), runningVariance: p.pointer(variance), y: y,
                                                saved: &saved, parallel: parallel)
                batchNormSaved[step.node] = saved
            } else {
                BatchNormKernel.forwardInference(x: x, pixels: n * pixels, channels: c, gamma: p.pointer(gamma),
                                                 shift: p.pointer(shift), epsilon: eps, runningMean: p.pointer(mean),
                                                 runningVariance: p.pointer(variance), y: y, parallel: parallel)
            }
        case .gate(let pixels, let c, let alpha, let mask):
            let factors = gate.factors(alpha: p.pointer(alpha), mask: p.pointer(mask), channels: c)
            GateKernel.forward(x: x, pixels: n * pixels, channels: c, factors: factors, y: y, parallel: parallel)
        case .activation(let relu6):
            ActivationKernel.forward(x: x, count: count, relu6: relu6, y: y, parallel: parallel)
        case .maxPool(var g):
            g.batch = n
            PoolKernel.maxForward(g, x: x, y: y, argmax: training ? argmax[step.node]! : nil, parallel: parallel)
        case .avgPool(var g):
            g.batch = n
            PoolKernel.averageForward(g, x: x, y: y, parallel: parallel)
        case .globalAvgPool(let pixels, let c):
            PoolKernel.globalForward(x: x, batch: n, pixels: pixels, channels: c, y: y, parallel: parallel)
        case .flatten(let pixels, let c):
            TensorOps.toCHW(x, batch: n, pixels: pixels, channels: c, into: y)
        case .add:
            TensorOps.add(x, activation(step.inputs[1]), count: count, into: y, parallel: parallel)
            for i in step.inputs.dropFirst(2) { TensorOps.add(y, activation(i), count: count, into: y, parallel: parallel) }
        case .scatterAdd(let pixels, let c, let scatters, let act):
            let inputs = zip(step.inputs, scatters).map { input, index in
                TensorOps.SumInput(activation(input), ld: index?.count ?? c, index: index)
            }
            // the next conv's gather, taken from the sum's rows as they are computed
            let gather = gatherAfter[step.node].map { g in
                TensorOps.ChannelGather(activation(g.node), ld: g.index.count, index: g.index)
            }
            TensorOps.sum(inputs, pixels: n * pixels, width: c, activation: act, into: y, gather: gather,
                          slopeMask: training ? slopeMasks[step.node] : nil, parallel: parallel)
        case .concat(let pixels, let channels):
            let total = channels.reduce(0, +)
            var offset = 0
            for (i, c) in zip(step.inputs, channels) {
                TensorOps.copyChannels(activation(i), ldx: c, pixels: n * pixels, width: c, into: y + offset, ldy: total,
                                       accumulate: false, parallel: parallel)
                offset += c
            }
        case .zeroPad(let h, let w, let ci, let s, let co, let off):
            TensorOps.zeroPadForward(x: x, batch: n, height: h, width: w, inChannels: ci, stride: s, outChannels: co, offset: off, y: y,
                                     parallel: parallel)
        case .gather(let pixels, let ci, let index):
            if training && step.fusedWithProducer { return }  // its sum wrote it
            TensorOps.gatherChannels(x, ldx: ci, pixels: n * pixels, index: index, into: y, ldy: index.count, parallel: parallel)
        case .scatter(let pixels, let co, let index):
            y.update(repeating: 0, count: count)
            TensorOps.scatterAddChannels(x, ldx: index.count, pixels: n * pixels, index: index, into: y, ldy: co, parallel: parallel)
        case .dropout(let prob):
            guard training && prob > 0 else {
                TensorOps.copy(x, count: count, into: y, parallel: parallel)
                return
            }
            let mask = dropoutMasks[step.node]!
            let keep = 1 - prob
            for i in 0..<count { mask[i] = random.uniform() < Double(keep) ? 1 / keep : 0 }
            TensorOps.multiply(x, mask, count: count, into: y, parallel: parallel)
        case .identity:
            TensorOps.copy(x, count: count, into: y, parallel: parallel)
        }
    }

    /// A deferred block's output as its reader takes it: the affine of the block's last training
    /// forward pass, applied to its raw conv output.
    func inputAffine(_ through: Step.DeferredInput) -> Convolution.InputAffine {
        let saved = fusedSaved[through.node]!
        return Convolution.InputAffine(scale: saved.scale, shift: saved.shift, activation: through.activation)
    }

    /// A conv block's batch norm and gate as the per-channel scale and shift of its conv's
    /// output (inference).
    func folded(_ block: Step.ConvBlock) -> (scale: [Float], shift: [Float]) {
        let p = parameters, norm = block.norm, c = block.geometry.outChannels
        let factors = gateFactors(block.gate, channels: c)
        var scale = [Float](repeating: 0, count: c), shift = scale
        let gamma = p.pointer(norm.gamma), normShift = p.pointer(norm.shift)
        let mean = p.pointer(norm.mean), variance = p.pointer(norm.variance)
        let convBias = block.bias.map { p.pointer($0) }
        for i in 0..<c {
            let s = factors[i] * gamma[i] / (variance[i] + norm.epsilon).squareRoot()
            scale[i] = s
            shift[i] = factors[i] * normShift[i] + s * ((convBias?[i] ?? 0) - mean[i])
        }
        return (scale, shift)
    }
}
