import DNALCore
import DNALExport
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing

/// One training step of the generated model.py against the native engine, from the same weights
/// and batch: the loss, every gradient (alphas included, with the regulariser's) and the running
/// statistics the step leaves, in each gate mode, against PyTorch's float64 step: within 1e-4
/// relative (see the last expectation for the one exception rounding allows).
@Suite("PyTorch backend: one training step against the native engine",
       .enabled(if: TorchPython.path != nil, "needs DNALC_TEST_PYTHON: an interpreter with torch (.ci/run sets one)"),
       .timeLimit(.minutes(5)))
struct TrainingStepEquivalenceTests {
    /// The gate setting of one case.
    struct Case: CustomStringConvertible, Sendable {
        var mode: Gate.Mode
        var beta: Float
        var lambda: Double
        var description: String { "\(mode.rawValue) beta \(beta) lambda \(lambda)" }
    }

    static let cases = [
        Case(mode: .identity, beta: 1, lambda: 0),
        Case(mode: .search, beta: 2.51, lambda: 0.05),
        Case(mode: .search, beta: 1e4, lambda: 0.05),
        Case(mode: .hard, beta: 1, lambda: 0),
    ]

    /// One step in float64, the reference.
    static let script = """
        import importlib.util, json, sys, torch
        d = sys.argv[1]
        spec = importlib.util.spec_from_file_location("model", d + "/model.py")
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        batch, meta = m.read_safetensors(d + "/batch.safetensors")
        config = json.loads(meta["config"])
        def step(dtype):
            net = m.load(d + "/weights.safetensors").train().to(dtype)
            gates = [g for g in net.modules() if isinstance(g, m.Gate)]
            for g in gates:
                g.mode, g.beta = config["mode"], config["beta"]
            loss = torch.nn.functional.cross_entropy(net(batch["input"].to(dtype)), batch["labels"].long())
            if config["lambda"]:
                loss = loss + config["lambda"] * sum(torch.sigmoid(g.alpha).sum() for g in gates)
            loss.backward()
            grads = {k: (p.grad if p.grad is not None else torch.zeros_like(p)).flatten().tolist() for k, p in net.named_parameters()}
            stats = {k: b.flatten().tolist() for k, b in net.named_buffers() if k.endswith(("running_mean", "running_var"))}
            return {"loss": loss.item(), "grads": grads, "stats": stats}
        print(json.dumps(step(torch.float64)))
        """

    @Test(arguments: ["vgg6-mnist", "resnet8-mnist", "mobilenet-tiny-mnist", "supernet-tiny-mnist"], cases)
    func sameLossGradientsAndStatistics(name: String, gate: Case) throws {
        let graph = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        let batch = 6
        let e = try Executor(graph: graph, maxBatch: batch, training: true, threads: 2, )
        let p = e.parameters
        p.initialize(seed: 3)
        var rng = SeededRandom(seed: 11)
        for entry in p.entries(.gateAlpha) {
            // alphas where the gate's slope is not negligible at this beta
            p.set(entry.name, (0..<entry.count).map { _ in Float(rng.normal()) / gate.beta })
        }
        if gate.mode == .hard {
            for entry in p.entries(.gateMask) { p.set(entry.name, (0..<entry.count).map { c in c == 0 || rng.next() % 3 != 0 ? 1 : 0 }) }
        }
        let input = (0..<(batch * graph.inputShape.elementCount)).map { _ in Float(rng.normal()) }
        let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(graph.classes)) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-torch-step-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeAtomically([UInt8](PyTorchModel.generate(graph).utf8), to: dir.appendingPathComponent("model.py").path)
        try p.save(to: dir.appendingPathComponent("weights.safetensors").path)
        let config = "{\"mode\": \"\(gate.mode.rawValue)\", \"beta\": \(gate.beta), \"lambda\": \(gate.lambda)}"
        try SafeTensors.write(["input": .init(shape: [batch] + graph.inputShape.dims, values: input),
                               "labels": .init(shape: [batch], values: labels.map(Float.init))],
                              metadata: ["config": config], to: dir.appendingPathComponent("batch.safetensors").path)

        // the native step
        e.gate = Gate(mode: gate.mode, beta: gate.beta)
        e.frozen = []
        e.input.update(from: input, count: input.count)
        try e.forward(batch: batch)
        var loss = try labels.withUnsafeBufferPointer { try e.backward(labels: $0.baseAddress!) }
        if gate.lambda > 0 {
            for entry in p.entries(.gateAlpha) {
                let alpha = p.pointer(entry.name), grad = p.gradient(entry.name)
                for c in 0..<entry.count {
                    loss += gate.lambda * Gate.regulariserTerm(alpha: alpha[c])
                    grad[c] += Float(gate.lambda * Gate.regulariserGradient(alpha: alpha[c]))
                }
            }
        }

        let output = try TorchPython.run(Self.script, [dir.path])
        let torch = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        let torchLoss = torch["loss"] as! Double
        #expect(abs(torchLoss - loss) / abs(loss) < 1e-4, "loss: torch \(torchLoss), native \(loss)")
        let grads = torch["grads"] as! [String: [Double]], stats = torch["stats"] as! [String: [Double]]
        // a quantity that is 0 in exact arithmetic (the shift of a batch norm whose output only a
        // later batch norm reads; the running mean of a zero-mean map) is float32 rounding noise:
        // each tensor is measured against its own size or 1e-3 of the largest of its kind
        let floors = [true, false].map { trainable in
            1e-3 * (trainable ? grads : stats).values.flatMap { $0 }.reduce(0) { max($0, abs($1)) }
        }
        var loose: [String] = [], compared = 0
        for entry in p.entries {
            let native: [Float]
            if entry.isTrainable {
                native = entry.spec.fromStorage(Array(UnsafeBufferPointer(start: p.gradient(entry.name), count: entry.count)))
            } else if entry.spec.role == .runningMean || entry.spec.role == .runningVariance {
                native = p.pytorchValues(entry.spec)
            } else {
                continue
            }
            guard let theirs = (entry.isTrainable ? grads : stats)[entry.name] else {
                Issue.record("model.py has no '\(entry.name)'")
                continue
            }
            compared += 1
            let rel = relativeDifference(native, theirs, floor: floors[entry.isTrainable ? 0 : 1])
            #expect(rel < 1e-3, "\(name) \(gate) \(entry.name): relative difference \(rel)")
            if rel >= 1e-4 { loose.append("\(entry.name) \(rel)") }
        }
        // 1e-4 everywhere but where a pre-activation lies within rounding of a ReLU's kink and
        // falls on the other side in float64: then one element's gradient passes in one engine
        // only (seen: one channel of mobilenet-tiny's block4, 3e-4, and the layers it feeds)
        #expect(loose.count <= max(3, compared / 20), "\(name) \(gate): \(loose.count) of \(compared) tensors beyond 1e-4: \(loose)")
    }
}
