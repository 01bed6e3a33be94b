import DNALCore
import DNALSearch
import Foundation
import Testing

/// config.json: what each kind of run records, and the recipe read back from it.
@Suite("Run config")
struct RunConfigTests {
    @Test func recipesRoundTrip() throws {
        var t = TrainSettings(fineTuningOf: SearchSettings())
        t.epochs = 4
        t.learningRate = 0.003
        for recipe in [RunRecipe.search(SearchSettings()), .train(t)] {
            let config = RunConfig(network: "n", file: "n.yaml", data: "d", threads: 2, isa: "scalar", recipe: recipe, weights: nil)
            let back = try JSONDecoder().decode(RunConfig.self, from: JSONEncoder().encode(config))
            #expect(back.recipe == recipe)
            #expect(back.dnalcVersion == DNALCVersion.string && back.dnalcCommit == DNALCVersion.commit)
        }
    }

    /// `dnalc train` used to record itself as a search with empty phases 1 and 2.
    @Test func olderTrainingRunsResumeAsTraining() throws {
        var s = SearchSettings()
        s.epochs = [0, 0, 7]
        s.learningRates = [0.05, 0.01, 0.002]
        s.weightDecay = [1e-4, 0, 5e-4]
        let old = RunConfig(network: "n", file: "n.yaml", data: "d", threads: 2, isa: "scalar", recipe: .search(s), weights: nil)
        guard case .train(let t) = old.recipe else { Issue.record("not read as training"); return }
        #expect(t.epochs == 7 && t.learningRate == 0.002 && t.weightDecay == 5e-4 && t.batch == s.batch)
    }

    /// Settings written before budgets existed read back with the budget's defaults.
    @Test func settingsWithoutBudgetKeysStillDecode() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SearchSettings())) as! [String: Any]
        for key in ["target", "targetTolerance", "targetGain", "targetRate"] { json.removeValue(forKey: key) }
        let back = try JSONDecoder().decode(SearchSettings.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(back == SearchSettings())
    }
}
