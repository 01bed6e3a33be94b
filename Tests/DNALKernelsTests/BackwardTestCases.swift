import DNALKernels
import DNALTestSupport

/// A conv's weight, bias and input gradients from the layer-by-layer kernels (`backwardWeight`,
/// `backwardInput`) with one worker: what the fused backward paths must equal bit for bit.
struct LayerByLayerGradients {
    var weight: [Float], bias: [Float], input: [Float]

    init(_ g: ConvGeometry, x: [Float], weight w: [Float], dOutput dy: [Float]) {
        let parallel = Parallel(threads: 1)
        weight = [Float](repeating: 0, count: g.weightCount)
        bias = [Float](repeating: 0, count: g.outChannels)
        input = [Float](repeating: 0, count: g.inputCount)
        Convolution.backwardWeight(g, x: x, dOutput: dy, dWeight: &weight, dBias: &bias, parallel: parallel, workspace: Workspace())
        Convolution.backwardInput(g, dOutput: dy, weight: w, dInput: &input, parallel: parallel, workspace: Workspace())
    }
}

/// A fused backward test's case: random x, weights and output gradient, gradients to add to,
/// and what the scalar reference makes of them (weights and bias added to their starting values,
/// the input gradient from zero).
struct ReferenceGradientCase {
    var x: [Float], weight: [Float], dOutput: [Float], startWeight: [Float], startBias: [Float]
    var expectedWeight: [Float], expectedBias: [Float], expectedInput: [Float]

    init(_ g: ConvGeometry, seed: UInt64) {
        x = Numerics.random(g.inputCount, seed: seed).map(Float.init)
        weight = Numerics.random(g.weightCount, seed: seed + 1, scale: 0.5).map(Float.init)
        dOutput = Numerics.random(g.outputCount, seed: seed + 2).map(Float.init)
        startWeight = Numerics.random(g.weightCount, seed: seed + 3).map(Float.init)
        startBias = Numerics.random(g.outChannels, seed: seed + 4).map(Float.init)
        expectedWeight = startWeight
        expectedBias = startBias
        expectedInput = [Float](repeating: 0, count: g.inputCount)
        ConvolutionReference.backwardWeight(g, x: x, dOutput: dOutput, dWeight: &expectedWeight, dBias: &expectedBias)
        ConvolutionReference.backwardInput(g, dOutput: dOutput, weight: weight, dInput: &expectedInput)
    }
}
