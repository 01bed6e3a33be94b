/// A minimal protocol-buffers encoder: enough of the wire format to write ONNX models.
/// Hand-written rather than generated with swift-protobuf: ONNX export needs only writing, of a
/// handful of message types, and this keeps the build free of generated code and a dependency.
/// Repeated scalars are written unpacked, which every proto2 and proto3 parser accepts.
public struct ProtobufWriter: Sendable {
    /// The encoded message so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// An int32/int64/enum/bool field (negative values take ten bytes, as the format says).
    public mutating func int(_ field: Int, _ value: Int) {
        tag(field, .varint)
        appendVarint(UInt64(bitPattern: Int64(value)))
    }

    /// A float field (fixed32, little-endian).
    public mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        let bits = value.bitPattern
        bytes += [UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff), UInt8(bits >> 24)]
    }

    /// A bytes field.
    public mutating func data(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    /// A string field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    /// An embedded message field.
    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        data(field, inner.bytes)
    }
}
