import DNALCore
/// Central differences of a scalar function of a vector, in Double.
public enum FiniteDifferences {
    /// d f / d x[i] for each i in `indices` (all when nil), by (f(x + h e_i) - f(x - h e_i)) / 2h.
    public static func gradient(of f: ([Double]) -> Double, at x: [Double], indices: [Int]? = nil,
                                step h: Double = 1e-5) -> [Int: Double] {
        var result: [Int: Double] = [:]
        var probe = x
        for i in indices ?? Array(x.indices) {
            probe[i] = x[i] + h
            let up = f(probe)
            probe[i] = x[i] - h
            let down = f(probe)
            probe[i] = x[i]
            result[i] = (up - down) / (2 * h)
        }
        return result
    }

    /// A fixed random projection, so a tensor-valued function becomes the scalar sum(y * r).
    public static func projection(_ count: Int, seed: UInt64) -> [Double] { Numerics.random(count, seed: seed) }

    /// sum(a * b)
    public static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Some indices of a tensor of `count` elements: the ends and a seeded sample.
    public static func sample(_ count: Int, _ n: Int, seed: UInt64) -> [Int] {
        var rng = SeededRandom(seed: seed)
        var picks = Set([0, count - 1])
        while picks.count < min(n, count) { picks.insert(Int(rng.next() % UInt64(count))) }
        return picks.sorted()
    }
}
