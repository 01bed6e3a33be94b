import DNALCore

/// Left- or right-aligned columns separated by two spaces.
func columns(_ rows: [[String]], rightAligned: Set<Int>) -> String {
    guard let width = rows.map(\.count).max() else { return "" }
    var widths = Array(repeating: 0, count: width)
    for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
    var out = ""
    for r in rows {
        var line = ""
        for (i, cell) in r.enumerated() {
            let pad = String(repeating: " ", count: widths[i] - cell.count)
            line += (i > 0 ? "  " : "") + (rightAligned.contains(i) ? pad + cell : cell + pad)
        }
        while line.hasSuffix(" ") { line.removeLast() }
        out += line + "\n"
    }
    return out
}

/// A GitHub-flavoured markdown table.
func markdownTable(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>) -> String {
    var out = "| " + header.joined(separator: " | ") + " |\n"
    out += "|" + header.indices.map { rightAligned.contains($0) ? "---:|" : "---|" }.joined() + "\n"
    for r in rows { out += "| " + r.joined(separator: " | ") + " |\n" }
    return out
}
