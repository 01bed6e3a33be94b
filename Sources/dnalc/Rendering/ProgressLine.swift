import Foundation

/// The progress line `dnalc search` and `dnalc train` redraw in place on a terminal: where the
/// run is, a bar, and the time left in the epoch and in the whole run, always shorter than the
/// terminal is wide (a line that wraps cannot be redrawn in place).
struct ProgressLine {
    /// "phase 2 1/3" or "epoch 4/5".
    var position: String
    /// The fraction of the epoch's batches done, in (0, 1].
    var done: Double
    /// Seconds left in this epoch's training (its evaluation follows).
    var epochLeft: Double
    /// Seconds left in the whole run, when it can be estimated.
    var runLeft: Double?

    /// The line for a terminal `columns` wide (at least 40 assumed; the line stays under it).
    func render(columns: Int) -> String {
        let width = max(columns, 40) - 1
        let percent = "\(Int(done * 100))%"
        var times = "\(duration(epochLeft)) left in the epoch"
        if let runLeft { times += ", \(duration(runLeft)) in the run" }
        // the bar takes what is left, between 10 and 30 cells; shorter forms of the times when tight
        for candidate in [times, runLeft.map { "epoch \(duration(epochLeft)), run \(duration($0))" } ?? "epoch \(duration(epochLeft))",
                          runLeft.map { "run \(duration($0))" } ?? duration(epochLeft)] {
            let fixedPart = position.count + 1 + 2 + 1 + percent.count + 2 + candidate.count
            let cells = min(30, width - fixedPart)
            if cells >= 10 {
                let filled = Int(done * Double(cells))
                return "\(position) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: cells - filled))] \(percent)  \(candidate)"
            }
        }
        return String("\(position) \(percent)  \(runLeft.map { "run \(duration($0))" } ?? duration(epochLeft))".prefix(width))
    }

    /// 42 s, 3m05s, 1h02m.
    func duration(_ seconds: Double) -> String {
        let s = Int(max(seconds, 0).rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// The terminal's width: the window size of standard output, else $COLUMNS, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
    }
}
