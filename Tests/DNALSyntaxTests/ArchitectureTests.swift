import DNALCore
import DNALTestSupport
import Foundation
import Testing
@testable import DNALSyntax

@Suite("architectures/")
struct ArchitectureTests {
    static let files = Repository.allArchitectures()

    @Test func everyPaperNetworkIsPresent() {
        let names = Set(Self.files.map(\.lastPathComponent))
        for required in ["vgg16-cifar10.yaml", "resnet56-cifar10.yaml", "mobilenetv2-cifar10.yaml", "vgg16-imagenet.yaml",
                         "resnet50-imagenet.yaml", "mobilenetv2-imagenet.yaml", "proxylessnas-imagenet.yaml"] {
            #expect(names.contains(required), "missing \(required)")
        }
        #expect(Self.files.count >= 12)
    }

    @Test("parses, verifies and matches its golden IR dump", arguments: files)
    func golden(file: URL) throws {
        let g = try NetworkParser.parse(file: file.path)
        #expect(verify(g).isEmpty)
        let golden = Repository.root.appendingPathComponent("Tests/DNALSyntaxTests/Golden")
            .appendingPathComponent(file.deletingPathExtension().lastPathComponent + ".ir")
        if let mismatch = Golden.check(g.dump(), against: golden) { Issue.record(Comment(rawValue: mismatch)) }
    }
}
