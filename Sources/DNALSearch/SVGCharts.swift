import Foundation

/// Small self-contained SVG charts (no scripts, no external resources), as XHTML-compatible
/// markup so the report opens anywhere and parses as XML.
enum SVGChart {
    static let width = 720.0, height = 270.0, left = 64.0, right = 20.0, top = 20.0, bottom = 70.0

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Paired bars per category: `full` in a light tone, `kept` in a dark one.
    static func pairedBars(title: String, labels: [String], full: [Double], kept: [Double]) -> String {
        let ticks = niceTicks(upTo: max(full.max() ?? 1, 1))
        let top = ticks.last!
        let plotW = width - left - right, plotH = height - self.top - bottom
        let slot = plotW / Double(max(labels.count, 1))
        var svg = open(title)
        svg += yAxis(ticks, label: "channels", format: { String(Int($0)) })
        for (i, label) in labels.enumerated() {
            let x = left + Double(i) * slot
            let hFull = plotH * full[i] / top, hKept = plotH * kept[i] / top
            svg += "<rect x=\"\(f(x + slot * 0.1))\" y=\"\(f(self.top + plotH - hFull))\" width=\"\(f(slot * 0.8))\" height=\"\(f(hFull))\" fill=\"#c8d6e5\"><title>\(escape(label)): \(Int(full[i]))</title></rect>"
            svg += "<rect x=\"\(f(x + slot * 0.25))\" y=\"\(f(self.top + plotH - hKept))\" width=\"\(f(slot * 0.5))\" height=\"\(f(hKept))\" fill=\"#2e5c8a\"><title>\(escape(label)): \(Int(kept[i])) kept of \(Int(full[i]))</title></rect>"
            if labels.count <= 40 {
                svg += "<text x=\"\(f(x + slot / 2))\" y=\"\(f(self.top + plotH + 12))\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-45 \(f(x + slot / 2)) \(f(self.top + plotH + 12)))\">\(escape(label))</text>"
            }
        }
        return svg + legend([("#c8d6e5", "original width"), ("#2e5c8a", "kept")]) + "</svg>"
    }

    /// Lines over a shared x axis (epochs or steps) on one y axis in `unit`, ticks from 0 (or
    /// from the lowest value when `fromZero` is off) written by `format`; `marks` draws a dashed
    /// vertical line with a label before the given x positions (phase starts).
    static func lines(title: String, x: [String], xLabel: String = "epoch (phase.epoch)", unit: String,
                      series: [(name: String, color: String, values: [Double])], format: (Double) -> String = { String(format: "%.3g", $0) },
                      fromZero: Bool = true, marks: [(index: Int, label: String)] = []) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        let all = series.flatMap(\.values).filter(\.isFinite)
        let high = max(all.max() ?? 1, 1e-12), low = fromZero ? 0 : (all.min() ?? 0)
        let ticks = niceTicks(from: low, upTo: high)
        let lo = ticks.first!, hi = ticks.last!, span = max(hi - lo, 1e-12)
        var svg = open(title) + yAxis(ticks, label: unit, format: format)
        let step = plotW / Double(max(x.count - 1, 1))
        func y(_ v: Double) -> Double { top + plotH - plotH * (v - lo) / span }
        for m in marks where m.index > 0 && m.index < x.count {
            let mx = left + (Double(m.index) - 0.5) * step
            svg += "<line x1=\"\(f(mx))\" y1=\"\(f(top))\" x2=\"\(f(mx))\" y2=\"\(f(top + plotH))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
            svg += "<text x=\"\(f(mx + 3))\" y=\"\(f(top + 9))\" font-size=\"9\" fill=\"#666\">\(escape(m.label))</text>"
        }
        for s in series {
            let points = s.values.enumerated().map { "\(f(left + Double($0.offset) * step)),\(f(y($0.element)))" }
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            for (i, v) in s.values.enumerated() where s.values.count <= 200 {
                svg += "<circle cx=\"\(f(left + Double(i) * step))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"\(s.color)\"><title>\(escape(s.name)) \(escape(x[i])): \(escape(format(v)))</title></circle>"
            }
        }
        // at most 12 x labels, evenly spread, the last one always shown
        let every = max(1, Int((Double(x.count) / 12).rounded(.up)))
        for (i, label) in x.enumerated() where i % every == 0 || i == x.count - 1 {
            svg += "<text x=\"\(f(left + Double(i) * step))\" y=\"\(f(top + plotH + 14))\" font-size=\"9\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 28))\" font-size=\"10\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        return svg + legend(series.map { ($0.color, $0.name) }) + "</svg>"
    }

    /// A histogram of `values` in `bins` bins, with a vertical marker at `marker`.
    static func histogram(title: String, values: [Double], bins: Int, marker: Double, markerLabel: String, xLabel: String) -> String {
        let ticks = niceTicks(from: min(values.min() ?? 0, marker, 0), upTo: max(values.max() ?? 1, marker, 0))
        let lo = ticks.first!, hi = ticks.last!, span = max(hi - lo, 1e-12)
        var counts = [Double](repeating: 0, count: bins)
        for v in values { counts[min(bins - 1, max(0, Int((v - lo) / span * Double(bins))))] += 1 }
        let countTicks = niceTicks(upTo: max(counts.max() ?? 1, 1))
        let maxCount = countTicks.last!
        let plotW = width - left - right, plotH = height - top - bottom, w = plotW / Double(bins)
        var svg = open(title) + yAxis(countTicks, label: "channels", format: { String(Int($0)) })
        for (i, c) in counts.enumerated() {
            let h = plotH * c / maxCount
            svg += "<rect x=\"\(f(left + Double(i) * w))\" y=\"\(f(top + plotH - h))\" width=\"\(f(w * 0.95))\" height=\"\(f(h))\" fill=\"#2e5c8a\"><title>\(String(format: "%.3g", lo + span * Double(i) / Double(bins)))..\(String(format: "%.3g", lo + span * Double(i + 1) / Double(bins))): \(Int(c))</title></rect>"
        }
        let mx = left + plotW * (marker - lo) / span
        svg += "<line x1=\"\(f(mx))\" y1=\"\(f(top))\" x2=\"\(f(mx))\" y2=\"\(f(top + plotH))\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(f(mx + 4))\" y=\"\(f(top + 12))\" font-size=\"10\" fill=\"#c0392b\">\(escape(markerLabel))</text>"
        for t in ticks {
            let tx = left + plotW * (t - lo) / span
            svg += "<line x1=\"\(f(tx))\" y1=\"\(f(top + plotH))\" x2=\"\(f(tx))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(tx))\" y=\"\(f(top + plotH + 14))\" font-size=\"9\" text-anchor=\"middle\">\(String(format: "%.3g", t))</text>"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 28))\" font-size=\"10\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        return svg + "</svg>"
    }

    /// 3 to 6 round tick values (1, 2, 2.5 or 5 times a power of ten) covering low...high.
    static func niceTicks(from low: Double = 0, upTo high: Double) -> [Double] {
        let span = max(high - low, abs(high) * 1e-9, 1e-12)
        let raw = span / 4, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw }!
        let first = floor(low / step) * step, last = ceil(high / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { $0 }
    }

    private static func open(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    }

    /// The y axis with a gridline, tick and label per value of `ticks` (the first at the bottom,
    /// the last at the top), the x axis line, and the y axis's label.
    private static func yAxis(_ ticks: [Double], label: String, format: (Double) -> String) -> String {
        let plotH = height - top - bottom, lo = ticks.first!, span = max(ticks.last! - lo, 1e-12)
        var svg = "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>"
        for t in ticks {
            let y = top + plotH - plotH * (t - lo) / span
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 3))\" font-size=\"9\" text-anchor=\"end\">\(escape(format(t)))</text>"
        }
        return svg + "<text x=\"12\" y=\"\(f(top + plotH / 2))\" font-size=\"10\" transform=\"rotate(-90 12 \(f(top + plotH / 2)))\" text-anchor=\"middle\">\(escape(label))</text>"
    }

    private static func legend(_ items: [(String, String)]) -> String {
        var svg = "", x = left
        for (color, name) in items {
            svg += "<rect x=\"\(f(x))\" y=\"\(f(height - 14))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(x + 14))\" y=\"\(f(height - 5))\" font-size=\"10\">\(escape(name))</text>"
            x += 24 + Double(name.count) * 5.5
        }
        return svg
    }
}
