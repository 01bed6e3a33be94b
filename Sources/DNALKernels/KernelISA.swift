import CDNALKernels

/// The instruction-set path the fast kernels run on. Chosen once from the CPU (or `DNALC_ISA`);
/// tests switch it to check every path against the scalar references.
public enum KernelISA: String, CaseIterable, Sendable {
    case avx512, avx2, scalar

    var raw: dnal_isa_t {
        switch self {
        case .avx512: return DNAL_ISA_AVX512
        case .avx2: return DNAL_ISA_AVX2
        case .scalar: return DNAL_ISA_SCALAR
        }
    }

    init(_ raw: dnal_isa_t) {
        switch raw {
        case DNAL_ISA_AVX512: self = .avx512
        case DNAL_ISA_AVX2: self = .avx2
        default: self = .scalar
        }
    }

    /// The path in use now.
    public static var current: KernelISA { KernelISA(dnal_isa()) }
    /// The fastest path this CPU supports.
    public static var best: KernelISA { KernelISA(dnal_best_isa()) }
    /// Paths this CPU can run, fastest first.
    public static var supported: [KernelISA] { allCases.filter { $0.raw.rawValue >= best.raw.rawValue } }

    /// Switches to `isa`; false if this CPU cannot run it.
    @discardableResult
    public static func use(_ isa: KernelISA) -> Bool { dnal_set_isa(isa.raw) == 0 }

    /// Lanes per vector on this path.
    public var lanes: Int {
        switch self {
        case .avx512: return 16
        case .avx2: return 8
        case .scalar: return 1
        }
    }
}
