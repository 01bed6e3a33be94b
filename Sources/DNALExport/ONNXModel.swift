/// The parts of the ONNX schema (onnx.proto) dnalc writes, with their field numbers.
/// An in-memory model is built from these and encoded once.
public enum ONNX {
    /// TensorProto.DataType values used here.
    enum DataType: Int { case float = 1, int64 = 7 }

    /// An initializer: a named constant tensor.
    struct Tensor {
        var name: String
        var dims: [Int]
        var floats: [Float] = []
        var int64s: [Int] = []

        func encode(into w: inout ProtobufWriter) {
            for d in dims { w.int(1, d) }                              // dims
            w.int(2, (int64s.isEmpty ? DataType.float : .int64).rawValue)  // data_type
            w.string(8, name)                                          // name
            var raw: [UInt8] = []                                      // raw_data, little-endian
            if int64s.isEmpty {
                raw.reserveCapacity(floats.count * 4)
                for v in floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
            } else {
                for v in int64s { withUnsafeBytes(of: Int64(v).littleEndian) { raw += $0 } }
            }
            w.data(9, raw)
        }
    }

    /// A node attribute: one int, one float or a list of ints.
    enum Attribute {
        case int(String, Int)
        case float(String, Float)
        case ints(String, [Int])

        func encode(into w: inout ProtobufWriter) {
            switch self {
            case .int(let name, let v):
                w.string(1, name); w.int(3, v); w.int(20, 2)          // type INT
            case .float(let name, let v):
                w.string(1, name); w.float(2, v); w.int(20, 1)        // type FLOAT
            case .ints(let name, let vs):
                w.string(1, name); for v in vs { w.int(8, v) }; w.int(20, 7)  // type INTS
            }
        }
    }

    /// An operator application.
    struct Node {
        var op: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [Attribute] = []

        func encode(into w: inout ProtobufWriter) {
            for i in inputs { w.string(1, i) }
            for o in outputs { w.string(2, o) }
            w.string(3, name)
            w.string(4, op)
            for a in attributes { w.message(5) { a.encode(into: &$0) } }
        }
    }

    /// A float tensor's name and shape; `nil` dimensions are symbolic (named "batch").
    struct ValueInfo {
        var name: String
        var dims: [Int?]

        func encode(into w: inout ProtobufWriter) {
            w.string(1, name)
            w.message(2) { type in                                     // TypeProto
                type.message(1) { tensor in                            // tensor_type
                    tensor.int(1, DataType.float.rawValue)             // elem_type
                    tensor.message(2) { shape in                       // TensorShapeProto
                        for d in dims {
                            shape.message(1) { dim in
                                if let d { dim.int(1, d) } else { dim.string(2, "batch") }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A whole model: one graph, the default-domain opset.
    struct Model {
        var name: String
        var opset: Int
        var nodes: [Node]
        var initializers: [Tensor]
        var inputs: [ValueInfo]
        var outputs: [ValueInfo]
        var docString: String
        /// metadata_props: key-value strings any runtime can read (e.g. the input normalisation).
        var metadata: [String: String] = [:]

        func encode() -> [UInt8] {
            var w = ProtobufWriter()
            w.int(1, 8)                                                // ir_version 8 (ONNX 1.10+)
            w.string(2, "dnalc")                                       // producer_name
            w.string(3, "0.1.0")                                       // producer_version
            w.string(6, docString)                                     // doc_string
            w.message(7) { g in                                        // graph
                for n in nodes { g.message(1) { n.encode(into: &$0) } }
                g.string(2, name)
                for t in initializers { g.message(5) { t.encode(into: &$0) } }
                for i in inputs { g.message(11) { i.encode(into: &$0) } }
                for o in outputs { g.message(12) { o.encode(into: &$0) } }
            }
            w.message(8) { o in o.string(1, ""); o.int(2, opset) }     // opset_import
            for (key, text) in metadata.sorted(by: { $0.key < $1.key }) {
                w.message(14) { e in e.string(1, key); e.string(2, text) }  // metadata_props
            }
            return w.bytes
        }
    }
}
