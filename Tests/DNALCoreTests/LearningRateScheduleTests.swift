import DNALCore
import Foundation
import Testing

@Suite("Learning-rate and beta schedules")
struct LearningRateScheduleTests {
    @Test("text forms read back", arguments: ["constant", "cosine", "cosine/30/120", "step/0.1/10/40", "step/0.5/3"])
    func roundTrip(text: String) throws {
        #expect(try LearningRateSchedule(parsing: text).description == text)
    }

    @Test("malformed schedules are refused with the forms", arguments: ["linear", "cosine/5", "cosine/10/5", "step/2/10", "step/0.1",
                                                                        "step/0.1/40/10", "constant/1", "step/0.1/x"])
    func refused(text: String) {
        #expect(throws: ScheduleSyntaxError.self) { try LearningRateSchedule(parsing: text) }
        do {
            _ = try LearningRateSchedule(parsing: text)
        } catch {
            #expect(error.message.contains("constant, cosine, cosine/OFFSET/HORIZON"))
        }
    }

    @Test func theReferencesStepScheduleDividesAfterEpochs10And40() throws {
        // docs/dnal-method.md 4.3: epochs 0-10 use lr0, 11-40 lr0/10, 41-69 lr0/100
        let s = try LearningRateSchedule(parsing: "step/0.1/10/40")
        let rates = (0..<70).map { s.rate(base: 0.01, epoch: $0, of: 70, batch: 5, batches: 10) }
        #expect(rates[0] == 0.01 && rates[10] == 0.01)
        #expect(abs(rates[11] - 0.001) < 1e-15 && abs(rates[40] - 0.001) < 1e-15)
        #expect(abs(rates[41] - 0.0001) < 1e-15 && abs(rates[69] - 0.0001) < 1e-15)
        #expect(s.epoch(11, of: 70).cosine == nil)
    }

    @Test func cosineWithAnOffsetHorizonStartsPartWayDown() throws {
        // MobileNetV2's phase 3: t = it + (epoch + 30) N over (90 + 30) N, starting near 0.0854 for 0.1
        let s = try LearningRateSchedule(parsing: "cosine/30/120")
        #expect(abs(s.rate(base: 0.1, epoch: 0, of: 90, batch: 0, batches: 100) - 0.1 * 0.5 * (1 + cos(Double.pi / 4))) < 1e-12)
        #expect(s.rate(base: 0.1, epoch: 89, of: 90, batch: 99, batches: 100) < 1e-6)
        // phase 1 of 80 epochs on a 160-epoch horizon ends at half the rate
        let p1 = try LearningRateSchedule(parsing: "cosine/0/160")
        #expect(abs(p1.rate(base: 0.1, epoch: 80, of: 80, batch: 0, batches: 10) - 0.05) < 1e-12)
    }

    @Test func plainCosineAndConstant() {
        #expect(LearningRateSchedule.cosine.rate(base: 0.2, epoch: 0, of: 4, batch: 0, batches: 10) == 0.2)
        #expect(abs(LearningRateSchedule.cosine.rate(base: 0.2, epoch: 2, of: 4, batch: 0, batches: 10) - 0.1) < 1e-12)
        #expect(LearningRateSchedule.constant.rate(base: 0.2, epoch: 3, of: 4, batch: 9, batches: 10) == 0.2)
    }

    @Test func theStepBetaRampMeetsTheEpochScheduleAtEachEpochsEnd() {
        let batches = 50
        for epochs in [1, 2, 10] {
            for k in 0..<epochs {
                let end = Gate.beta(step: k * batches + batches - 1, of: epochs * batches, betaFinal: 1e4)
                #expect(abs(end / Gate.beta(epoch: k, of: epochs, betaFinal: 1e4) - 1) < 1e-12)
            }
        }
        // one phase-2 epoch: the reference's per-epoch schedule is beta_final from the first step;
        // the per-step ramp starts near 1
        #expect(Gate.beta(epoch: 0, of: 1, betaFinal: 1e4) == 1e4)
        #expect(Gate.beta(step: 0, of: batches, betaFinal: 1e4) < 1.21)
    }
}
