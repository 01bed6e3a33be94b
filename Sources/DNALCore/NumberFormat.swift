/// How dnalc spells numbers for people, everywhere (console, reports): no locale, the paper
/// tables' units.

/// `1234567` as `1,234,567`.
public func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// `313472778` as `313.47M`, `720000` as `0.72M`: the paper tables' spelling (millions from 1e5).
public func human(_ n: Int) -> String {
    let v = Double(n)
    if abs(v) >= 1e9 { return fixed(v / 1e9, 2) + "G" }
    if abs(v) >= 1e5 { return fixed(v / 1e6, 2) + "M" }
    if abs(v) >= 1e3 { return fixed(v / 1e3, 2) + "K" }
    return String(n)
}

/// `v` with exactly `digits` decimals, without Foundation's locale-dependent formatting. Values
/// too large for that (a diverging loss) are written in exponent form rather than overflowing.
public func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return String(v) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(v) * scale).rounded()
    guard r < 1e15 else { return String(v) }
    let whole = Int(r / scale)
    var frac = String(Int(r - Double(whole) * scale))
    while frac.count < digits { frac = "0" + frac }
    return (v < 0 && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}
