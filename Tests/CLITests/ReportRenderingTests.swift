import DNALTestSupport
import Foundation
import Testing

/// report.html rendered in a real browser: headless Chromium (scripts/check-report.sh) must parse
/// the page, accept every SVG attribute and draw every chart, for a search and for a training run.
/// Enabled where `DNALC_TEST_CHROMIUM` is set (.ci/run installs Debian's chromium and sets it).
@Suite("report.html in headless Chromium",
       .enabled(if: ProcessInfo.processInfo.environment["DNALC_TEST_CHROMIUM"] != nil, "needs DNALC_TEST_CHROMIUM and Chromium"),
       .serialized, .timeLimit(.minutes(3)))
struct ReportRenderingTests {
    func check(_ run: String, charts: Int) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = Repository.root.appendingPathComponent("scripts/check-report.sh")
        p.arguments = [run, String(charts)]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }

    @Test func searchAndTrainingReportsRender() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-render-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let limits = ["--set", "train_limit=512", "--set", "test_limit=128", "--batch", "32", "--threads", "2", "--quiet"]
        let search = dir + "/search"
        let s = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--epochs", "1,2,1", "--target-flops", "3x", "--out", search] + limits)
        #expect(s.status == 0, "\(s.stderr)")
        // kept channels, loss, top-1, FLOPs, the budget's two, alphas
        let searched = try check(search, charts: 7)
        #expect(searched.status == 0, "\(searched.output)")
        let train = dir + "/train"
        let t = try runDNALC(["train", search + "/pruned.yaml", "--weights", search + "/pruned.safetensors", "--epochs", "2", "--out", train] + limits)
        #expect(t.status == 0, "\(t.stderr)")
        let trained = try check(train, charts: 3)
        #expect(trained.status == 0, "\(trained.output)")

        // a broken chart is caught: a NaN coordinate
        let html = try String(contentsOfFile: train + "/report.html", encoding: .utf8)
        try html.replacingOccurrences(of: "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"", with: "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"nan,nan ")
            .write(toFile: train + "/report.html", atomically: true, encoding: .utf8)
        let broken = try check(train, charts: 3)
        #expect(broken.status == 1 && broken.output.contains("malformed SVG"), "\(broken.output)")
    }
}
