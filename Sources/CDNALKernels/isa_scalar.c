// The portable kernels: one float per "vector", for CPUs without AVX2 (and other architectures).
// Same code as the SIMD paths, so every path is exercised by the same tests.
#include "kernel_table.h"

#define V float
#define VL 1
#define VZERO() 0.0f
#define VSET1(x) (x)
#define VLOAD(p) (*(p))
#define VLOADM(p, n) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSTOREM(p, v, n) (*(p) = (v))
#define VSTREAM(p, v) VSTORE(p, v)
#define VSFENCE() ((void)0)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#if defined(__x86_64__)
#define OPAQUE(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define OPAQUE(v) __asm__("" : "+w"(v))
#else
#define OPAQUE(v) do { volatile float opaque_ = (v); (v) = opaque_; } while (0)
#endif
#define VRELU(v) ((v) < 0.0f ? 0.0f : (v))
#define VRELU6(v) (VRELU(v) > 6.0f ? 6.0f : VRELU(v))
#define FN(name) dnal_scalar_##name
#define RMAX1 4
#define RMAX2 4
#define IBMAX 4
#define dnal_scalar_table dnal_table_scalar

#include "conv.inc"
#include "conv_weight.inc"
#define DW3_FEW_REGISTERS 0
#include "dwconv.inc"
#include "peak.inc"
