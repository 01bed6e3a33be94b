import DNALCore
/// Seeded random tensors and closeness checks shared by kernel and runtime tests.
public enum Numerics {
    /// `count` values uniform in [-1, 1) from `seed`.
    public static func random(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in (Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) * scale }
    }

    /// The first index where |a - b| > atol + rtol * |b|, with both values, or nil when all are close.
    public static func firstMismatch<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
        _ a: [A], _ b: [B], rtol: Double, atol: Double) -> (index: Int, actual: Double, expected: Double)? {
        guard a.count == b.count else { return (-1, Double(a.count), Double(b.count)) }
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            if !(abs(x - y) <= atol + rtol * abs(y)) { return (i, x, y) }
        }
        return nil
    }

    /// Largest |a| in `values` (for scaling tolerances to a tensor's magnitude).
    public static func maxAbs<T: BinaryFloatingPoint>(_ values: [T]) -> Double {
        values.reduce(0) { max($0, abs(Double($1))) }
    }
}
