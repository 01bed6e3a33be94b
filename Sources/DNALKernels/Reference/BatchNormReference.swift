import Foundation

/// Scalar twin of `BatchNormKernel`'s training pass, generic for finite differences in Double.
public enum BatchNormReference {
    /// y = (x - mean) / sqrt(var + eps) * gamma + shift with batch statistics; x, y: [pixels, channels]
    public static func forwardTraining<T: BinaryFloatingPoint & ElementaryFunctionsLite>(
        x: [T], pixels: Int, channels c: Int, gamma: [T], shift: [T], epsilon: T) -> [T] {
        var y = x
        for ch in 0..<c {
            var mean: T = 0, variance: T = 0
            for p in 0..<pixels { mean += x[p * c + ch] }
            mean /= T(pixels)
            for p in 0..<pixels { variance += (x[p * c + ch] - mean) * (x[p * c + ch] - mean) }
            variance /= T(pixels)
            let inv = 1 / (variance + epsilon).squareRoot()
            for p in 0..<pixels { y[p * c + ch] = (x[p * c + ch] - mean) * inv * gamma[ch] + shift[ch] }
        }
        return y
    }

    /// (dx, dGamma, dShift) of `forwardTraining` for the output gradient dy.
    public static func backward<T: BinaryFloatingPoint & ElementaryFunctionsLite>(
        dOutput dy: [T], x: [T], pixels: Int, channels c: Int, gamma: [T], epsilon: T) -> (dx: [T], dGamma: [T], dShift: [T]) {
        var dx = x, dGamma = [T](repeating: 0, count: c), dShift = dGamma
        let m = T(pixels)
        for ch in 0..<c {
            var mean: T = 0, variance: T = 0
            for p in 0..<pixels { mean += x[p * c + ch] }
            mean /= m
            for p in 0..<pixels { variance += (x[p * c + ch] - mean) * (x[p * c + ch] - mean) }
            variance /= m
            let inv = 1 / (variance + epsilon).squareRoot()
            var sumDy: T = 0, sumDyXhat: T = 0
            for p in 0..<pixels {
                sumDy += dy[p * c + ch]
                sumDyXhat += dy[p * c + ch] * (x[p * c + ch] - mean) * inv
            }
            dShift[ch] = sumDy
            dGamma[ch] = sumDyXhat
            for p in 0..<pixels {
                let xhat = (x[p * c + ch] - mean) * inv
                dx[p * c + ch] = gamma[ch] * inv / m * (m * dy[p * c + ch] - sumDy - xhat * sumDyXhat)
            }
        }
        return (dx, dGamma, dShift)
    }
}

/// The one transcendental the references need beyond `squareRoot`, for Float and Double.
public protocol ElementaryFunctionsLite {
    static func expLite(_ x: Self) -> Self
}

extension Float: ElementaryFunctionsLite {
    public static func expLite(_ x: Float) -> Float { Float(Double.expLite(Double(x))) }
}

extension Double: ElementaryFunctionsLite {
    public static func expLite(_ x: Double) -> Double { exp(x) }
}
