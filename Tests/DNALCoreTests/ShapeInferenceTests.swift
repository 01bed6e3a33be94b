import Testing
@testable import DNALCore

@Suite("Shape inference")
struct ShapeInferenceTests {
    func shape(_ op: Op, _ inputs: [Shape]) throws -> Shape {
        try op.outputShape(inputs: inputs.enumerated().map { ("x\($0.offset)", $0.element) })
    }

    @Test("conv output size for stride, padding and kernel", arguments: [
        // (h, kernel, stride, padding, expected)
        (32, 3, 1, 1, 32), (32, 3, 2, 1, 16), (7, 3, 2, 1, 4), (224, 7, 2, 3, 112), (5, 5, 1, 0, 1),
        (6, 1, 2, 0, 3), (1, 1, 1, 0, 1), (2, 3, 1, 1, 2), (9, 2, 2, 0, 4),
    ])
    func convSize(h: Int, kernel: Int, stride: Int, padding: Int, expected: Int) throws {
        let out = try shape(.conv(Conv(outChannels: 5, kernel: kernel, stride: stride, padding: padding)),
                            [Shape(channels: 3, height: h, width: h)])
        #expect(out == Shape(channels: 5, height: expected, width: expected))
    }

    @Test func groupedAndDepthwiseConvs() throws {
        let x = Shape(channels: 8, height: 4, width: 4)
        #expect(try shape(.conv(Conv(outChannels: 8, kernel: 3, padding: 1, groups: 8)), [x]).channels == 8)
        #expect(try shape(.conv(Conv(outChannels: 16, kernel: 3, padding: 1, groups: 8)), [x]).channels == 16)
        #expect(throws: GraphError("conv groups 3 do not divide the 8 input channels of 'x0'")) {
            try shape(.conv(Conv(outChannels: 6, kernel: 1, groups: 3)), [x])
        }
        #expect(throws: GraphError("conv groups 4 do not divide its 6 output channels")) {
            try shape(.conv(Conv(outChannels: 6, kernel: 1, groups: 4)), [x])
        }
    }

    @Test func windowLargerThanInputIsRejected() {
        #expect(throws: GraphError("conv kernel 7 is larger than its padded input 5x5 (from 'x0' [3,5,5])")) {
            try shape(.conv(Conv(outChannels: 1, kernel: 7)), [Shape(channels: 3, height: 5, width: 5)])
        }
        #expect(throws: GraphError("maxpool kernel 2 is larger than its padded input 1x1 (from 'x0' [3,1,1])")) {
            try shape(.pool(Pool(kind: .max, kernel: 2, stride: 2)), [Shape(channels: 3, height: 1, width: 1)])
        }
    }

    @Test func vectorsAndFeatureMaps() throws {
        let x = Shape(channels: 4, height: 3, width: 2)
        #expect(try shape(.flatten, [x]) == Shape(features: 24))
        #expect(try shape(.linear(Linear(outFeatures: 5)), [x]) == Shape(features: 5))
        #expect(try shape(.globalAvgPool, [x]) == Shape(channels: 4, height: 1, width: 1))
        #expect(throws: GraphError("conv needs a [C,H,W] input, 'x0' is [24]")) {
            try shape(.conv(Conv(outChannels: 1, kernel: 1)), [Shape(features: 24)])
        }
        #expect(throws: GraphError("a gate needs a [C,H,W] input, 'x0' is [24]")) { try shape(.gate, [Shape(features: 24)]) }
    }

    @Test func addAndConcat() throws {
        let a = Shape(channels: 4, height: 8, width: 8), b = Shape(channels: 6, height: 8, width: 8)
        #expect(try shape(.add(Add(role: .plain)), [a, a, a]) == a)
        #expect(throws: GraphError("cannot add 'x1' [6,8,8] to 'x0' [4,8,8]: shapes differ")) {
            try shape(.add(Add(role: .residual)), [a, b])
        }
        #expect(try shape(.concat, [a, b]) == Shape(channels: 10, height: 8, width: 8))
        #expect(throws: GraphError("cannot concat 'x1' [4,4,4] with 'x0' [4,8,8]: H and W differ")) {
            try shape(.concat, [a, Shape(channels: 4, height: 4, width: 4)])
        }
        #expect(throws: GraphError("add needs at least two inputs, got 1")) { try shape(.add(Add(role: .plain)), [a]) }
    }

    @Test func zeroPadShortcut() throws {
        let x = Shape(channels: 16, height: 32, width: 32)
        #expect(try shape(.zeroPad(ZeroPad(outChannels: 32, stride: 2, offset: 8)), [x]) == Shape(channels: 32, height: 16, width: 16))
        #expect(try shape(.zeroPad(ZeroPad(outChannels: 16, stride: 2, offset: 0)), [Shape(channels: 16, height: 7, width: 7)])
            == Shape(channels: 16, height: 4, width: 4))
        #expect(throws: GraphError("zeropad cannot shrink 'x0' from 16 to 8 channels")) {
            try shape(.zeroPad(ZeroPad(outChannels: 8, stride: 1, offset: 0)), [x])
        }
        #expect(throws: GraphError("zeropad offset 10 does not fit 16 channels into 24")) {
            try shape(.zeroPad(ZeroPad(outChannels: 24, stride: 1, offset: 10)), [x])
        }
    }
}
