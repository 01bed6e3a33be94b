import Foundation
import Testing
import DNALCore

/// The gate's mathematics: factor and slope per mode, the regulariser, the keep test and beta.
@Suite("Gate")
struct GateTests {
    @Test func factorsPerMode() {
        #expect(Gate(mode: .identity, beta: 1e4).factor(alpha: -3, mask: 0) == 1)
        #expect(Gate(mode: .hard, beta: 1e4).factor(alpha: 3, mask: 0) == 0)
        #expect(Gate(mode: .search, beta: 2).factor(alpha: 0, mask: 1) == 0.5)
        #expect(Gate(mode: .search, beta: 2).factor(alpha: 5, mask: 0) == 0)
        #expect(Gate.sigmoid(-1e4) == 0 && Gate.sigmoid(1e4) == 1)
    }

    @Test("slope is d factor / d alpha", arguments: [Float(0.1), 2.51, 100])
    func slopeMatchesFiniteDifferences(beta: Float) {
        let gate = Gate(mode: .search, beta: beta)
        for alpha: Float in [-0.02, 0, 0.004, 0.3] {
            let h: Float = 1e-3 / beta
            let numeric = (gate.factor(alpha: alpha + h, mask: 1) - gate.factor(alpha: alpha - h, mask: 1)) / (2 * h)
            #expect(abs(gate.slope(alpha: alpha, mask: 1) - numeric) <= 1e-2 * max(1, abs(numeric)), "alpha \(alpha)")
            #expect(gate.slope(alpha: alpha, mask: 0) == 0)
        }
        #expect(Gate(mode: .hard, beta: beta).slopes(alpha: [1], mask: [1], channels: 1) == nil)
    }

    @Test func regulariserAndKeepTest() {
        #expect(Gate.regulariserTerm(alpha: 0) == 0.5 && Gate.regulariserGradient(alpha: 0) == 0.25)
        // the reference's 0.9 and 1e4: keep iff alpha > ln(9) / 1e4 = 2.197e-4
        let boundary = Gate.keepBoundary(betaFinal: 1e4, threshold: 0.9)
        #expect(abs(boundary - log(9) / 1e4) < 1e-12)
        #expect(Gate.keeps(alpha: 2.3e-4, betaFinal: 1e4, threshold: 0.9))
        #expect(!Gate.keeps(alpha: 2.1e-4, betaFinal: 1e4, threshold: 0.9))
        #expect(!Gate.keeps(alpha: -1, betaFinal: 1e4, threshold: 0.9))
    }

    @Test func betaRisesGeometricallyToItsFinalValue() {
        #expect(abs(Gate.beta(epoch: 0, of: 10, betaFinal: 1e4) - 2.512) < 1e-3)
        #expect(abs(Gate.beta(epoch: 9, of: 10, betaFinal: 1e4) - 1e4) < 1e-6)
        #expect(Gate.beta(epoch: 0, of: 1, betaFinal: 1e4) == 1e4)
    }
}
