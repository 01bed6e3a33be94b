import DNALSyntax
import DNALPasses
import DNALCore
do {
    let g = try NetworkParser.parse(file: CommandLine.arguments[1])
    print(g.dump())
    let c = computeCost(g, convention: .dnal)
    print(c.totalFLOPs, c.totalParams, c.gateLayers, c.gateChannels)
} catch { print(error) }
