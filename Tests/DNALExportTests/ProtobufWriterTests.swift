import Testing
@testable import DNALExport

/// The wire format, byte for byte, against encodings worked out from the protobuf spec.
@Suite("Protobuf writer")
struct ProtobufWriterTests {
    @Test func varintsAndTags() {
        var w = ProtobufWriter()
        w.int(1, 150)             // the spec's example: 08 96 01
        #expect(w.bytes == [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.int(2, 0)
        w.int(15, 1)
        w.int(16, 300)            // field 16 needs a two-byte tag: (16 << 3) = 128 -> 80 01; 300 -> ac 02
        #expect(w.bytes == [0x10, 0x00, 0x78, 0x01, 0x80, 0x01, 0xac, 0x02])
        w = ProtobufWriter()
        w.int(1, -1)              // negative int64: ten bytes
        #expect(w.bytes == [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x01])
    }

    @Test func lengthDelimitedAndFixed32() {
        var w = ProtobufWriter()
        w.string(2, "testing")    // the spec's example: 12 07 74 65 73 74 69 6e 67
        #expect(w.bytes == [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67])
        w = ProtobufWriter()
        w.message(3) { $0.int(1, 150) }   // the spec's embedded example: 1a 03 08 96 01
        #expect(w.bytes == [0x1a, 0x03, 0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.float(2, 1.0)           // 15, then 1.0f little-endian 00 00 80 3f
        #expect(w.bytes == [0x15, 0x00, 0x00, 0x80, 0x3f])
        w = ProtobufWriter()
        w.data(4, [UInt8](repeating: 7, count: 200))   // length 200 -> c8 01
        #expect(Array(w.bytes.prefix(3)) == [0x22, 0xc8, 0x01] && w.bytes.count == 203)
    }
}
