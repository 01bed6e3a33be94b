/// The scalar twin of `Convolution`: the textbook loops, generic so tests can run them in Double
/// for finite differences. Same layouts: x `[N,H,W,Ci]`, weight `[K,K,Ci/g,Co]`, y `[N,Ho,Wo,Co]`.
public enum ConvolutionReference {
    /// y = conv(x, weight) + bias
    public static func forward<T: BinaryFloatingPoint>(_ g: ConvGeometry, x: UnsafePointer<T>, weight: UnsafePointer<T>,
                                                       bias: UnsafePointer<T>?, y: UnsafeMutablePointer<T>) {
        visit(g) { xi, wi, yi in y[yi] += x[xi] * weight[wi] } prepare: { yi, o in y[yi] = bias?[o] ?? 0 }
    }

    /// dInput = transposed conv(dOutput, weight), overwriting dInput.
    public static func backwardInput<T: BinaryFloatingPoint>(_ g: ConvGeometry, dOutput: UnsafePointer<T>,
                                                             weight: UnsafePointer<T>, dInput: UnsafeMutablePointer<T>) {
        dInput.update(repeating: 0, count: g.inputCount)
        visit(g) { xi, wi, yi in dInput[xi] += dOutput[yi] * weight[wi] } prepare: { _, _ in }
    }

    /// dWeight += x-patch (outer) dOutput; dBias += sum dOutput.
    public static func backwardWeight<T: BinaryFloatingPoint>(_ g: ConvGeometry, x: UnsafePointer<T>,
                                                              dOutput: UnsafePointer<T>, dWeight: UnsafeMutablePointer<T>,
                                                              dBias: UnsafeMutablePointer<T>?) {
        visit(g) { xi, wi, yi in dWeight[wi] += x[xi] * dOutput[yi] } prepare: { yi, o in dBias?[o] += dOutput[yi] }
    }

    /// Calls `prepare(yIndex, outChannel)` once per output element, then `body(xIndex, wIndex,
    /// yIndex)` for every in-range (output element, tap, input channel of its group) triple.
    static func visit(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void, prepare: (Int, Int) -> Void) {
        for n in 0..<g.batch {
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    for o in 0..<g.outChannels {
                        let yi = ((n * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + o
                        prepare(yi, o)
                        let group = o / g.outPerGroup
                        for kh in 0..<g.kernel {
                            let ih = oh * g.stride - g.padding + kh
                            guard ih >= 0 && ih < g.inHeight else { continue }
                            for kw in 0..<g.kernel {
                                let iw = ow * g.stride - g.padding + kw
                                guard iw >= 0 && iw < g.inWidth else { continue }
                                for i in 0..<g.inPerGroup {
                                    let xi = ((n * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + group * g.inPerGroup + i
                                    let wi = ((kh * g.kernel + kw) * g.inPerGroup + i) * g.outChannels + o
                                    body(xi, wi, yi)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
