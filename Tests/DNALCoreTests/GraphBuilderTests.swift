import Testing
@testable import DNALCore

@Suite("Graph builder and verifier")
struct GraphBuilderTests {
    func tiny() throws -> Graph {
        var b = GraphBuilder(input: Shape(channels: 3, height: 4, width: 4))
        let c = try b.add("c", .conv(Conv(outChannels: 2, kernel: 3, padding: 1)), inputs: [0])
        let g = try b.add("g", .globalAvgPool, inputs: [c])
        let f = try b.add("fc", .linear(Linear(outFeatures: 5)), inputs: [g])
        return try b.finish(name: "tiny", classes: 5, output: f)
    }

    @Test func buildsAndVerifies() throws {
        let g = try tiny()
        #expect(verify(g).isEmpty)
        #expect(g.node(named: "c")?.shape == Shape(channels: 2, height: 4, width: 4))
        #expect(g.consumers()[1] == [2])
        #expect(g.dump() == """
            network tiny classes=5 output=fc
            input = input : [3,4,4]
            c = conv out=2 k=3 s=1 p=1 g=1 <- input : [2,4,4]
            g = gap <- c : [2,1,1]
            fc = linear out=5 bias <- g : [5]

            """)
    }

    @Test func rejectsBadWiring() throws {
        var b = GraphBuilder(input: Shape(channels: 3, height: 4, width: 4))
        try b.add("a", .identity, inputs: [0])
        #expect(throws: GraphError("duplicate layer name 'a'")) { try b.add("a", .identity, inputs: [0]) }
        #expect(throws: GraphError("'b' reads node 7, which does not exist yet")) { try b.add("b", .identity, inputs: [7]) }
        #expect(throws: GraphError("a layer name must not be empty")) { try b.add("", .identity, inputs: [0]) }
        #expect(throws: GraphError("identity takes exactly one input, got 2")) { try b.add("c", .identity, inputs: [0, 1]) }
        #expect(throws: GraphError("'input' cannot be used as a layer")) { try b.add("d", .input, inputs: [0]) }
        #expect(throws: GraphError("the network's output 'a' is [3,4,4], but classes: 10 needs [10]")) {
            try b.finish(name: "x", classes: 10, output: 1)
        }
    }

    @Test func verifierCatchesEachInvariant() throws {
        let g = try tiny()
        func broken(_ nodes: [Node], output: Int? = nil, classes: Int? = nil) -> [String] {
            verify(Graph(name: "x", classes: classes ?? g.classes, nodes: nodes, output: output ?? g.output, search: g.search))
                .map(\.message)
        }
        var nodes = g.nodes
        nodes[1] = Node(id: 1, name: "c", op: nodes[1].op, inputs: [0], shape: Shape(channels: 9, height: 4, width: 4))
        #expect(broken(nodes).contains("node 'c' stores shape [9,4,4] but its inputs give [2,4,4]"))

        nodes = g.nodes
        nodes[2] = Node(id: 2, name: "c", op: .globalAvgPool, inputs: [1], shape: nodes[2].shape)
        #expect(broken(nodes).contains("duplicate layer name 'c'"))

        nodes = g.nodes
        nodes[1] = Node(id: 1, name: "c", op: nodes[1].op, inputs: [2], shape: nodes[1].shape)
        #expect(broken(nodes).contains("node 'c' reads node 2, which is not earlier"))

        nodes = g.nodes
        nodes[2] = Node(id: 2, name: "bad name", op: .globalAvgPool, inputs: [1], shape: nodes[2].shape)
        #expect(broken(nodes).contains("invalid layer name 'bad name'"))

        nodes = g.nodes
        nodes[0] = Node(id: 0, name: "input", op: .identity, inputs: [], shape: nodes[0].shape)
        #expect(broken(nodes).contains("node 0 'input' is not the input"))

        nodes = g.nodes
        nodes[2] = Node(id: 5, name: "g", op: .globalAvgPool, inputs: [1], shape: nodes[2].shape)
        #expect(broken(nodes).contains("node 'g' has id 5 at position 2"))

        #expect(broken(g.nodes, classes: 4).contains("output 'fc' is [5], expected [4]"))
        #expect(broken(g.nodes, output: 9) == ["output index 9 is not a layer"])

        nodes = g.nodes + [Node(id: 4, name: "dead", op: .identity, inputs: [1], shape: g.nodes[1].shape)]
        #expect(broken(nodes) == ["layer 'dead' does not contribute to the output"])
    }

    @Test("layer names", arguments: [("a", true), ("stage1.0.conv1", true), ("x-y_z", true), ("", false),
                                      (".a", false), ("a.", false), ("a..b", false), ("a b", false), ("a/b", false)])
    func layerNames(name: String, valid: Bool) {
        #expect(isValidLayerName(name) == valid)
    }
}
