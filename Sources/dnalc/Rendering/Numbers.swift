/// `1234567` as `1,234,567`.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// `313472778` as `313.47M`, the paper tables' spelling.
func human(_ n: Int) -> String {
    let v = Double(n)
    if abs(v) >= 1e9 { return fixed(v / 1e9, 2) + "G" }
    if abs(v) >= 1e5 { return fixed(v / 1e6, 2) + "M" }
    if abs(v) >= 1e3 { return fixed(v / 1e3, 2) + "K" }
    return String(n)
}

/// `v` with exactly `digits` decimals, without Foundation's locale-dependent formatting.
func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return String(v) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(v) * scale).rounded()
    let whole = Int(r / scale)
    var frac = String(Int(r - Double(whole) * scale))
    while frac.count < digits { frac = "0" + frac }
    return (v < 0 && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}

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
