import ArgumentParser
import DNALCore
import DNALPasses
import Foundation

/// `dnalc analyze FILE`: shapes, per-layer and total cost, coupling groups, comparisons.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report per-layer and total FLOPs/params, shapes and channel-coupling groups of a network."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, markdown }

    @Argument(help: "The network file (YAML, see Grammar.md).")
    var file: String

    @Option(help: "How to count: dnal (the paper's reference counter), macs, or flops (2 x MACs).")
    var convention: CostConvention = .dnal

    @Option(help: "Output format: table, json, csv or markdown.")
    var format: Format = .table

    @Flag(help: "Also print the channel-coupling groups.")
    var groups = false

    @Flag(help: "List every node in the table, including those that cost nothing and keep their shape.")
    var all = false

    @Flag(help: "Print the IR dump instead of the cost report.")
    var ir = false

    @Option(name: .customLong("compare"), help: "Another network file: print both totals and the reduction ratios.")
    var other: String?

    @Option(help: ArgumentHelp("Gate masks (JSON, see Grammar.md): cost the hard-gated network they define, by the DNAL reference rules, against the full one.", valueName: "masks.json"))
    var masks: String?

    func validate() throws {
        if masks != nil && other != nil { throw ValidationError("--masks and --compare cannot be combined") }
        if groups && format == .csv {
            throw ValidationError("--groups has no CSV form (the groups are not one row per layer); use --format json or table")
        }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        if ir {
            print(graph.dump(), terminator: "")
            return
        }
        var report = computeCost(graph, convention: convention)
        let coupling = groups ? computeChannelCoupling(graph) : nil
        var comparison: Comparison?
        if let masks {
            let gateMasks: GateMasks
            do {
                gateMasks = try MasksFile.read(masks, for: graph)
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(1)
            }
            let full = report
            report = computeCost(graph, convention: convention, masks: computeChannelMasks(graph, gates: gateMasks))
            report.network = "\(graph.name) with \((masks as NSString).lastPathComponent)"
            comparison = Comparison(base: full, other: report, reference: computeReferenceCost(graph, convention: convention, gates: gateMasks))
        }
        if let other {
            // rows named by file: a pruned network usually keeps its parent's name
            var otherReport = computeCost(try loadNetwork(other), convention: convention)
            otherReport.network = other
            var base = report
            base.network = file
            comparison = Comparison(base: base, other: otherReport)
        }
        switch format {
        case .json:
            print(jsonReport(report, graph: graph, coupling: coupling, comparison: comparison))
        case .csv:
            print(csvReport(report), terminator: "")
        case .table, .markdown:
            let markdown = format == .markdown
            print(costTable(report, graph: graph, markdown: markdown, all: all), terminator: "")
            if let coupling { print("\n" + couplingText(coupling, graph: graph), terminator: "") }
            if let comparison { print("\n" + comparisonTable(comparison, markdown: markdown), terminator: "") }
        }
    }
}

extension CostConvention: ExpressibleByArgument {}
