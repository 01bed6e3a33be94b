import DNALData
import DNALTestSupport
import Foundation
import Testing

/// `.npy` files: NumPy-written fixtures read back exactly, our files byte-identical to NumPy's
/// layout, and damaged files refused with the reason.
@Suite("NPY")
struct NPYTests {
    func fixture(_ name: String) -> String {
        Repository.root.appendingPathComponent("Tests/DNALDataTests/Fixtures/" + name).path
    }

    @Test func readsWhatNumPyWrites() throws {
        // np.save of float32 [[1.5, -2, 3], [0.25, 1e-8, -7e5]] and float64 [0.1, 0.2, -3.5, 1e10]
        #expect(try NPY.read(fixture("f32-2x3.npy")) == NPY.Array(shape: [2, 3], values: [1.5, -2, 3, 0.25, 1e-8, -7e5]))
        #expect(try NPY.read(fixture("f64-4.npy")) == NPY.Array(shape: [4], values: [0.1, 0.2, -3.5, 1e10]))
    }

    @Test func writesWhatNumPyWrites() throws {
        let numpy = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("f32-2x3.npy"))))
        #expect(NPY.encode(NPY.Array(shape: [2, 3], values: [1.5, -2, 3, 0.25, 1e-8, -7e5])) == numpy)
        for shape in [[0], [7], [2, 1, 3, 3], []] {
            let count = shape.reduce(1, *)
            let array = NPY.Array(shape: shape, values: (0..<count).map { Float($0) * 0.5 - 1 })
            let bytes = NPY.encode(array)
            #expect((bytes.count - count * 4) % 64 == 0)  // header padded to 64 bytes
            #expect(try NPY.decode(bytes, file: "a.npy") == array)
        }
    }

    @Test func refusesDamagedFiles() throws {
        let good = NPY.encode(NPY.Array(shape: [2, 2], values: [1, 2, 3, 4]))
        func header(_ text: String) -> [UInt8] {
            let h = Array((text + "\n").utf8)
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.count), 0] + h
        }
        let cases: [([UInt8], String)] = [
            (Array("PK\u{3}\u{4}nonsense".utf8), "not a NumPy .npy file (no \\x93NUMPY magic)"),
            (Array(good.dropLast(1)), "shape (2, 2) needs 16 bytes of data, the file has 15"),
            (good + [0, 0, 0, 0], "shape (2, 2) needs 16 bytes of data, the file has 20"),
            ([0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0, 0, 0], ".npy version 9.0 is not supported (1.0 to 3.0 are)"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0, 32, 32], "truncated header (200 bytes announced)"),
            (header("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }") + [0, 0, 0, 0], "dtype '<i4' is not supported: save float32 ('<f4') or float64 ('<f8')"),
            (header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }") + [0, 0, 0, 0], "dtype '>f4' is not supported: save float32 ('<f4') or float64 ('<f8')"),
            (header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }") + [0, 0, 0, 0], "Fortran-order arrays are not supported; save with np.ascontiguousarray"),
            (header("{'descr': '<f4', 'shape': (1,), }"), "damaged header: {'descr': '<f4', 'shape': (1,), }"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "damaged shape (-1,)"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648, 4), }"), "shape (2147483648, 2147483648, 4) needs too many bytes of data, the file has 0"),
        ]
        for (bytes, message) in cases {
            #expect(throws: DataError("x.npy: " + message)) { try NPY.decode(bytes, file: "x.npy") }
        }
        #expect(throws: DataError("cannot read '/no/such.npy': no such file")) { try NPY.read("/no/such.npy") }
    }
}
