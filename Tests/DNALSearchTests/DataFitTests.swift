import DNALCore
import DNALData
import DNALSyntax
import DNALTestSupport
import Testing
@testable import DNALSearch

/// Data a network cannot be trained or judged on is refused before anything runs.
@Suite("Data fit")
struct DataFitTests {
    @Test func emptySplitsAndOutOfRangeLabelsAreRefused() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("vgg6-mnist.yaml").path)
        var empty = SearchTests.data
        empty.test = empty.test.prefix(0)
        #expect(throws: SearchError("the test split of bundled Fashion-MNIST subset holds no images (after any train_limit/test_limit)")) {
            try empty.check(fits: g)
        }
        var labels = SearchTests.data
        labels.train = labels.train.prefix(10)
        labels.train.labels[3] = 12
        #expect(throws: SearchError("the training split of bundled Fashion-MNIST subset has label 12, outside 0..<10")) {
            try labels.check(fits: g)
        }
        try SearchTests.data.check(fits: g)
    }
}
