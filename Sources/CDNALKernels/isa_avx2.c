// The kernels for AVX2 with FMA: 8 lanes, 16 registers.
#if defined(__x86_64__)
#include <immintrin.h>
#include "kernel_table.h"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

static inline __m256i dnal_avx2_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Stores the first n floats of v (n <= 8) with at most three plain stores (4, 2 and 1 floats).
/// Not vmaskmovps: AMD's cores run its store form as microcode, and a conv with 5 outputs
/// stores one such partial vector per pixel (perf put that at a quarter of the 5-output
/// microkernel's time on an AVX2-only EPYC host). The same floats are written either way.
static inline __attribute__((always_inline)) void dnal_avx2_store_first(float *p, __m256 v, int n)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 part = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, part);
        part = _mm256_extractf128_ps(v, 1);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)p, part);
        part = _mm_movehl_ps(part, part);
        p += 2;
        n -= 2;
    }
    if (n >= 1) _mm_store_ss(p, part);
}

#define V __m256
#define VL 8
#define VZERO() _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VLOAD(p) _mm256_loadu_ps(p)
#define VLOADM(p, n) _mm256_maskload_ps((p), dnal_avx2_mask(n))
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSTREAM(p, v) _mm256_stream_ps((p), (v))
#define VSFENCE() _mm_sfence()
#define VSTOREM(p, v, n) dnal_avx2_store_first((p), (v), (n))
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VSUB(a, b) _mm256_sub_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define OPAQUE(v) __asm__("" : "+v"(v))
#define VRELU(v) _mm256_max_ps(_mm256_setzero_ps(), (v))
#define VRELU6(v) _mm256_min_ps(_mm256_set1_ps(6.0f), VRELU(v))
#define FN(name) dnal_avx2_##name
#define RMAX1 12
#define RMAX2 6
#define IBMAX 6
#define dnal_avx2_table dnal_table_avx2

// the narrow-layer forward path (conv_narrow_avx2.inc), declared in conv.inc, which calls it;
// its planar operands are AVX-512's alone, so io stays an incomplete type here, always NULL
#define NARROW_FORWARD 1

#include "conv.inc"
#include "conv_weight.inc"
#include "conv_planar_avx2.inc"
#include "conv_narrow_avx2.inc"
#include "conv_narrow_winograd_avx2.inc"
#include "conv_chain_avx2.inc"
#define DW3_FEW_REGISTERS 1
/// Keeps v in a register here: the load of a weight stays inside the tile, not hoisted and spilled.
#define DW3_KEEP(v) __asm__ volatile("" : "+x"(v))
#include "dwconv.inc"
#include "channels_avx2.inc"

/// The activation's slope per lane: 1 where v > 0 (and v < 6 for relu6), else 0 (NaN: 0).
static inline V FN(act_slope)(V v, int act)
{
    return _mm256_and_ps(FN(slope_lanes)(v, act), _mm256_set1_ps(1.0f));
}
#include "pointwise_simd.inc"
#define POINTWISE_SIMD 1
#define CHANNELS_GATHER dnal_gather_channels_portable
#define CHANNELS_SCATTER_ADD dnal_scatter_add_channels_portable
#define CHANNELS_SUM_SCATTER_ACT FN(sum_scatter_act)
#define CHANNELS_SUM_SCATTER_ACT_BACKWARD FN(sum_scatter_act_backward)
#define CHANNELS_SLOPE_MASK FN(slope_mask)
// (no planar conv pairs: the chain is the AVX2 path's only planar user)
#define CONV_NARROW_APPLIES FN(narrow_applies)
#define CONV_PLANAR_APPLIES NULL
#define CONV_FORWARD_ROWS_PLANAR NULL
#define CONV_CHAIN_TAKES FN(chain_takes)
#define CONV_CHAIN_FILTER_FLOATS FN(chain_filter_floats)
#define CONV_CHAIN_IMAGES FN(conv_chain_images)
#define CONV_CHAIN_PAYS FN(chain_pays)
#include "peak.inc"

#pragma clang attribute pop
#endif
