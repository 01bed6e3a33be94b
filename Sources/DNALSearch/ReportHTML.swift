import DNALCore
import DNALRuntime
import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG, no scripts) with the run's
/// outcome, kept channels per layer, the per-epoch curves and the final alpha histogram.
enum ReportHTML {
    static func render(report: SearchReport, graph: Graph, records: [EpochRecord], store: ParameterStore, masks: [Int: [Bool]],
                       settings: SearchSettings) -> String {
        let gates = graph.nodes.filter { $0.op == .gate }
        let labels = gates.map { SubLayer.gate.owner(of: $0.name) }
        let kept = gates.map { Double(masks[$0.id]?.filter { $0 }.count ?? $0.shape.channels) }
        let full = gates.map { Double($0.shape.channels) }
        let alphas = gates.flatMap { store.values(of: $0.id, .gateAlpha).map(Double.init) }
        let threshold = Gate.keepBoundary(betaFinal: settings.betaFinal, threshold: settings.threshold)
        let x = records.map { "\($0.phase).\($0.epoch)" }
        let marks = phaseStarts(records)
        func row(_ name: String, _ n: SearchReport.Network, ratio: String) -> String {
            "<tr><td>\(name)</td><td>\(SVGChart.escape(human(n.flops)))\(ratio.isEmpty ? "" : " (\(ratio))")</td><td>\(human(n.params))</td><td>\(n.top1.map { String(format: "%.2f%%", $0) } ?? "-")</td></tr>"
        }
        var html = pageStart(title: "dnalc search: \(report.network)", heading: "DNAL search: \(report.network)") + """
        <p>Data: \(SVGChart.escape(report.data)). lambda \(report.lambda ?? settings.lambda), epochs \(settings.epochs.map(String.init).joined(separator: " + ")), batch \(settings.batch), threshold \(settings.threshold), beta up to \(String(format: "%g", settings.betaFinal)); \(String(format: "%.1f", report.seconds)) s.\(backendNote(report.backend))</p>
        <table><tr><th>network</th><th>FLOPs (dnal)</th><th>params</th><th>test top-1</th></tr>
        \(row("full (after phase 1)", report.baseline, ratio: ""))
        \(row("pruned (after phase 3)", report.pruned, ratio: String(format: "%.2fx fewer", report.flopsRatio)))
        \(referenceRow(report))
        </table>
        <p>\(report.keptGates) of \(report.gates) gate channels kept.</p>
        <h2>Kept channels per layer</h2>
        \(SVGChart.pairedBars(title: "Kept channels per gated layer against its original width", labels: labels, full: full, kept: kept))
        <h2>Training loss per epoch</h2>
        \(lossChart(records, x: x, marks: marks))
        <h2>Test top-1 per epoch</h2>
        \(SVGChart.lines(title: "Test top-1 per epoch", x: x, unit: "test top-1 (%)", series: [("test top-1", "#27ae60", records.map(\.test.top1))], format: { String(format: "%g", $0) }, fromZero: false, marks: marks))
        <h2>FLOPs per epoch</h2>
        \(SVGChart.lines(title: "FLOPs per epoch", x: x, unit: "FLOPs (dnal convention)", series: [("expected (soft gates)", "#8e44ad", records.map { Double($0.expectedFLOPs) }), ("hard (binarised now)", "#2e5c8a", records.map { Double($0.hardFLOPs) })], format: { human(Int($0.rounded())) }, marks: marks))
        \(budgetSection(report.budget))
        <h2>Final alphas</h2>
        <p>A channel is kept when sigmoid(beta_final * alpha) exceeds \(settings.threshold), that is when alpha exceeds \(String(format: "%.3g", threshold)).</p>
        \(SVGChart.histogram(title: "Histogram of the final alphas", values: alphas, bins: 40, marker: threshold, markerLabel: "keep threshold", xLabel: "final alpha"))
        </body></html>

        """
        html = html.replacingOccurrences(of: "\n\n", with: "\n")
        return html
    }

    /// The page's XHTML head, style and heading (`title` and `heading` are escaped here).
    static func pageStart(title: String, heading: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
        <title>\(SVGChart.escape(title))</title>
        <style>body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}h2{margin-top:1.6em;font-size:1.1em}</style>
        </head><body>
        <h1>\(SVGChart.escape(heading))</h1>

        """
    }

    /// Where each phase after the first begins, for the charts' dashed lines.
    static func phaseStarts(_ records: [EpochRecord]) -> [(index: Int, label: String)] {
        records.indices.filter { $0 > 0 && records[$0].phase != records[$0 - 1].phase }.map { ($0, "phase \(records[$0].phase)") }
    }

    /// Cross-entropy per epoch and, when phase 2 adds the regulariser, the loss it minimised.
    static func lossChart(_ records: [EpochRecord], x: [String], marks: [(index: Int, label: String)]) -> String {
        var series: [(name: String, color: String, values: [Double])] = [("cross-entropy", "#c0392b", records.map { $0.crossEntropy ?? $0.loss })]
        if records.contains(where: { ($0.regulariser ?? 0) > 0 }) {
            series.append(("cross-entropy + regulariser (phase 2's loss)", "#e67e22", records.map(\.loss)))
        }
        return SVGChart.lines(title: "Training loss per epoch", x: x, unit: "mean training loss", series: series, marks: marks)
    }

    /// The reference counter's figure for the same masks, and why it is higher when it is.
    static func referenceRow(_ report: SearchReport) -> String {
        guard let r = report.reference, let flopsRatio = report.referenceFLOPsRatio else { return "" }
        let ratio = String(format: "%.2fx fewer", flopsRatio)
        let why = report.referenceDiffers
            ? "higher: a gate closed entirely, and the reference still counts the convs in front of it" : "equal: no gate closed entirely"
        return "<tr><td>pruned, by the reference counter (\(why))</td><td>\(SVGChart.escape(human(r.flops))) (\(ratio))</td><td>\(human(r.params))</td><td></td></tr>"
    }

    /// Where the run trained, when not on the native engine.
    static func backendNote(_ backend: SearchReport.Backend?) -> String {
        guard let b = backend else { return "" }
        return " Trained on \(SVGChart.escape(b.description))."
    }
}

extension ReportHTML {
    /// `report.html` of a `dnalc train` run: the trained network's cost and accuracy, and its
    /// per-epoch loss, rate and accuracy (no search: no phases, gates being learned or alphas).
    static func renderTraining(report: SearchReport, graph: Graph, records: [EpochRecord], settings: TrainSettings) -> String {
        let x = records.map { String($0.epoch) }
        let gates = report.gates > 0 ? " Its gates keep \(report.keptGates) of \(report.gates) channels (the masks its weights hold)." : ""
        var html = pageStart(title: "dnalc train: \(report.network)", heading: "Training: \(report.network)") + """
        <p>Data: \(SVGChart.escape(report.data)). \(settings.epochs) epochs, batch \(settings.batch), lr \(settings.learningRate) (cosine-annealed), weight decay \(settings.weightDecay); \(String(format: "%.1f", report.seconds)) s.\(gates)</p>
        <table><tr><th>network</th><th>FLOPs (dnal)</th><th>params</th><th>test top-1</th><th>best test top-1</th></tr>
        <tr><td>\(SVGChart.escape(report.network))</td><td>\(human(report.pruned.flops))</td><td>\(human(report.pruned.params))</td><td>\(report.pruned.top1.map { String(format: "%.2f%%", $0) } ?? "-")</td><td>\(report.bestTop1.map { String(format: "%.2f%%", $0) } ?? "-")</td></tr>
        </table>
        <h2>Training loss per epoch</h2>
        \(SVGChart.lines(title: "Training loss per epoch", x: x, xLabel: "epoch", unit: "mean cross-entropy", series: [("cross-entropy", "#c0392b", records.map(\.loss))]))
        <h2>Test top-1 per epoch</h2>
        \(SVGChart.lines(title: "Test top-1 per epoch", x: x, xLabel: "epoch", unit: "test top-1 (%)", series: [("test top-1", "#27ae60", records.map(\.test.top1))], format: { String(format: "%g", $0) }, fromZero: false))
        <h2>Learning rate per epoch</h2>
        \(SVGChart.lines(title: "Learning rate at the end of each epoch", x: x, xLabel: "epoch", unit: "learning rate", series: [("learning rate", "#2e5c8a", records.map { $0.learningRate ?? 0 })]))
        </body></html>

        """
        html = html.replacingOccurrences(of: "\n\n", with: "\n")
        return html
    }
}
