import Foundation

/// Small self-contained SVG charts (no scripts, no external resources), as XHTML-compatible
/// markup so the report opens anywhere and parses as XML.
enum SVGChart {
    static let width = 720.0, height = 260.0, left = 60.0, right = 20.0, top = 20.0, bottom = 60.0

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Paired bars per category: `full` in a light tone, `kept` in a dark one.
    static func pairedBars(title: String, labels: [String], full: [Double], kept: [Double]) -> String {
        let maxValue = max(full.max() ?? 1, 1)
        let plotW = width - left - right, plotH = height - top - bottom
        let slot = plotW / Double(max(labels.count, 1))
        var svg = open(title)
        svg += axes(maxValue: maxValue, unit: "channels")
        for (i, label) in labels.enumerated() {
            let x = left + Double(i) * slot
            let hFull = plotH * full[i] / maxValue, hKept = plotH * kept[i] / maxValue
            svg += "<rect x=\"\(f(x + slot * 0.1))\" y=\"\(f(top + plotH - hFull))\" width=\"\(f(slot * 0.8))\" height=\"\(f(hFull))\" fill=\"#c8d6e5\"><title>\(escape(label)): \(Int(full[i]))</title></rect>"
            svg += "<rect x=\"\(f(x + slot * 0.25))\" y=\"\(f(top + plotH - hKept))\" width=\"\(f(slot * 0.5))\" height=\"\(f(hKept))\" fill=\"#2e5c8a\"><title>\(escape(label)): \(Int(kept[i])) kept of \(Int(full[i]))</title></rect>"
            if labels.count <= 40 {
                svg += "<text x=\"\(f(x + slot / 2))\" y=\"\(f(top + plotH + 12))\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-45 \(f(x + slot / 2)) \(f(top + plotH + 12)))\">\(escape(label))</text>"
            }
        }
        return svg + legend([("#c8d6e5", "original width"), ("#2e5c8a", "kept")]) + "</svg>"
    }

    /// Lines over a shared x axis (epochs), each scaled to its own maximum (labels give values).
    static func lines(title: String, x: [String], series: [(name: String, color: String, values: [Double])]) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        var svg = open(title) + axes(maxValue: 1, unit: "of max")
        let step = plotW / Double(max(x.count - 1, 1))
        for s in series {
            let maxValue = max(s.values.max() ?? 1, 1e-12)
            let points = s.values.enumerated().map { "\(f(left + Double($0.offset) * step)),\(f(top + plotH - plotH * $0.element / maxValue))" }
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            for (i, v) in s.values.enumerated() {
                svg += "<circle cx=\"\(f(left + Double(i) * step))\" cy=\"\(f(top + plotH - plotH * v / maxValue))\" r=\"3\" fill=\"\(s.color)\"><title>\(escape(s.name)) \(escape(x[i])): \(String(format: "%.4g", v))</title></circle>"
            }
        }
        for (i, label) in x.enumerated() where x.count <= 40 {
            svg += "<text x=\"\(f(left + Double(i) * step))\" y=\"\(f(top + plotH + 14))\" font-size=\"9\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        return svg + legend(series.map { ($0.color, "\($0.name) (max \(String(format: "%.4g", $0.values.max() ?? 0)))") }) + "</svg>"
    }

    /// A histogram of `values` in `bins` bins, with a vertical marker at `marker`.
    static func histogram(title: String, values: [Double], bins: Int, marker: Double, markerLabel: String) -> String {
        let lo = min(values.min() ?? 0, marker), hi = max(values.max() ?? 1, marker)
        let span = max(hi - lo, 1e-12)
        var counts = [Double](repeating: 0, count: bins)
        for v in values { counts[min(bins - 1, Int((v - lo) / span * Double(bins)))] += 1 }
        let maxCount = max(counts.max() ?? 1, 1)
        let plotW = width - left - right, plotH = height - top - bottom, w = plotW / Double(bins)
        var svg = open(title) + axes(maxValue: maxCount, unit: "channels")
        for (i, c) in counts.enumerated() {
            let h = plotH * c / maxCount
            svg += "<rect x=\"\(f(left + Double(i) * w))\" y=\"\(f(top + plotH - h))\" width=\"\(f(w * 0.95))\" height=\"\(f(h))\" fill=\"#2e5c8a\"><title>\(String(format: "%.3g", lo + span * Double(i) / Double(bins)))..\(String(format: "%.3g", lo + span * Double(i + 1) / Double(bins))): \(Int(c))</title></rect>"
        }
        let mx = left + plotW * (marker - lo) / span
        svg += "<line x1=\"\(f(mx))\" y1=\"\(f(top))\" x2=\"\(f(mx))\" y2=\"\(f(top + plotH))\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(f(mx + 4))\" y=\"\(f(top + 12))\" font-size=\"10\" fill=\"#c0392b\">\(escape(markerLabel))</text>"
        svg += "<text x=\"\(f(left))\" y=\"\(f(top + plotH + 14))\" font-size=\"9\">\(String(format: "%.3g", lo))</text>"
        svg += "<text x=\"\(f(left + plotW))\" y=\"\(f(top + plotH + 14))\" font-size=\"9\" text-anchor=\"end\">\(String(format: "%.3g", hi))</text>"
        return svg + "</svg>"
    }

    private static func open(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    }

    private static func axes(maxValue: Double, unit: String) -> String {
        let plotH = height - top - bottom
        return "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>"
            + "<text x=\"\(f(left - 6))\" y=\"\(f(top + 4))\" font-size=\"9\" text-anchor=\"end\">\(String(format: "%.4g", maxValue))</text>"
            + "<text x=\"\(f(left - 6))\" y=\"\(f(top + plotH))\" font-size=\"9\" text-anchor=\"end\">0</text>"
            + "<text x=\"12\" y=\"\(f(top + plotH / 2))\" font-size=\"9\" transform=\"rotate(-90 12 \(f(top + plotH / 2)))\" text-anchor=\"middle\">\(escape(unit))</text>"
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
