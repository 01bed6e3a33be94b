// The kernels for AVX-512 (F, VL, BW, DQ) with FMA: 16 lanes, 32 registers.
#if defined(__x86_64__)
#include <immintrin.h>
#include "kernel_table.h"

#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prfchw"))), apply_to = function)

#define V __m512
#define VL 16
#define VZERO() _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VLOAD(p) _mm512_loadu_ps(p)
#define VLOADM(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSTREAM(p, v) _mm512_stream_ps((p), (v))
#define VSFENCE() _mm_sfence()
#define VSTOREM(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VSUB(a, b) _mm512_sub_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define OPAQUE(v) __asm__("" : "+v"(v))
#define VRELU(v) _mm512_max_ps(_mm512_setzero_ps(), (v))
#define VRELU6(v) _mm512_min_ps(_mm512_set1_ps(6.0f), VRELU(v))
// half vectors (8 lanes) for a last output-channel vector of at most 8 (conv.inc's ukh)
#define VH __m256
#define VHL 8
#define VHZERO() _mm256_setzero_ps()
#define VHSET1(p) _mm256_broadcast_ss(p)
#define VHLOAD(p) _mm256_loadu_ps(p)
#define VHLOADM(p, n) _mm256_maskz_loadu_ps((__mmask8)((1u << (n)) - 1u), (p))
#define VHSTOREM(p, v, n) _mm256_mask_storeu_ps((p), (__mmask8)((1u << (n)) - 1u), (v))
#define VHFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VHADD(a, b) _mm256_add_ps((a), (b))
#define VHRELU(v) _mm256_max_ps(_mm256_setzero_ps(), (v))
#define VHRELU6(v) _mm256_min_ps(_mm256_set1_ps(6.0f), VHRELU(v))
#define FN(name) dnal_avx512_##name
#define RMAX1 24
#define RMAX2 12
#define IBMAX 12
#define dnal_avx512_table dnal_table_avx512

// the narrow-layer forward path (conv_narrow_avx512.inc), declared in conv.inc, which calls it
#define NARROW_FORWARD 1

#include "conv.inc"
#include "conv_weight.inc"
#include "conv_narrow_avx512.inc"
#include "conv_narrow_packed_avx512.inc"
#include "conv_packed_winograd_avx512.inc"
#include "conv_chain_avx512.inc"
#define DW3_FEW_REGISTERS 0
#include "dwconv.inc"
#include "channels_avx512.inc"
#include "channels_backward_avx512.inc"
#include "pool_avx512.inc"

/// The activation's slope per lane: 1 where v > 0 (and v < 6 for relu6), else 0 (NaN: 0).
static inline V FN(act_slope)(V v, int act)
{
    return _mm512_maskz_mov_ps(FN(slope_bits)(v, act), _mm512_set1_ps(1.0f));
}
#include "pointwise_simd.inc"
#define POINTWISE_SIMD 1
#define CHANNELS_GATHER FN(gather_channels)
#define CHANNELS_SCATTER_ADD FN(scatter_add_channels)
#define CHANNELS_SUM_SCATTER_ACT FN(sum_scatter_act)
#define CHANNELS_SUM_SCATTER_ACT_BACKWARD FN(sum_scatter_act_backward)
#define CHANNELS_SLOPE_MASK FN(slope_mask)
#define CONV_NARROW_APPLIES FN(narrow_applies)
#define CONV_PLANAR_APPLIES FN(narrow_applies)
#define CONV_FORWARD_ROWS_PLANAR FN(conv_forward_rows_planar)
#define CONV_CHAIN_TAKES FN(chain_takes)
#define CONV_CHAIN_FILTER_FLOATS FN(chain_filter_floats)
#define CONV_CHAIN_IMAGES FN(conv_chain_images)
#define CONV_CHAIN_PAYS FN(chain_pays)
#define MAXPOOL_2X2 FN(maxpool_2x2)
#include "peak.inc"

#pragma clang attribute pop
#endif
