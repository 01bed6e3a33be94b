// Winograd F(2x2, 3x3) and F(4x4, 3x3): which convolutions take them, and the weight transform
// (the per-ISA pass is winograd.inc). docs/winograd.md derives the transforms and their error.
//
// A 3x3 stride-1 convolution computes each T x T block of outputs from a (T + 2) x (T + 2) block
// of inputs. Transformed, that is (T + 2)^2 independent products per input channel instead of
// 9 T^2 multiply-adds: with V = B^T d B (the input block) and U = G g G^T (the filter), the
// outputs are A^T (sum over input channels of U * V, elementwise) A. Summed over channels, each
// element is a matrix product of tiles x cin by cin x cout, which the implicit-GEMM microkernel
// runs as it runs a 1x1 convolution: 2.25x (T = 2) or 4x (T = 4) fewer multiply-adds than the
// direct convolution, for the price of the input and output transforms.
#include <string.h>
#include "kernel_table.h"

int dnal_conv_winograd_applies(const dnal_conv *d)
{
    const int tile = dnal_winograd_tile(d);
    // narrow layers (pixels in the lanes) keep their path: on AVX-512 it is the one the pruned
    // networks' pair and chain steps are built around; on AVX2 it takes only the layers it
    // runs faster than Winograd (conv_narrow_avx2.inc)
    const dnal_kernel_table *t = dnal_table();
    return t->conv_narrow_applies && t->conv_narrow_applies(d) ? 0 : tile;
}

int dnal_conv_column_winograd_applies(const dnal_conv *d)
{
#if defined(__x86_64__)
    const dnal_kernel_table *t = dnal_table();
    return t == &dnal_table_avx512 ? dnal_avx512_column_winograd_applies(d)
                                   : t == &dnal_table_avx2 && dnal_avx2_column_winograd_applies(d);
#else
    (void)d;
    return 0;
#endif
}

size_t dnal_conv_winograd_weight_floats(const dnal_conv *d)
{
    return (size_t)dnal_winograd_elements(dnal_winograd_tile(d)) * (size_t)d->cin * (size_t)d->ldw;
}

/// Output lanes the weight transform takes at a time through its contiguous buffers.
#define WINOGRAD_WEIGHT_LANES 64

/// u for input channels [ic_begin, ic_end) with the tile a constant T, WINOGRAD_WEIGHT_LANES
/// output lanes at a time: the 9 taps' rows are copied into a contiguous block, transformed as
/// independent lanes (which the compiler vectorises), and the (T + 2)^2 results copied out row
/// by row. The taps and results lie a panel apart (256 KB at 256 x 256 channels): walked filter
/// by filter, their 25-45 streams fell into the same cache sets and missed on nearly every
/// access (256 -> 256 channels: 5.5 ms a transform; VGG16's took 17% of its inference in perf).
static inline __attribute__((always_inline)) void winograd_weights_tile(const int T, const dnal_conv *d, const float *w,
                                                                        float *u, int ic_begin, int ic_end)
{
    enum { L = WINOGRAD_WEIGHT_LANES };
    const int n = T + 2;
    const ptrdiff_t panel = (ptrdiff_t)d->cin * d->ldw;
    float taps[9][L], s[6][3][L], out[36][L];
    for (int ic = ic_begin; ic < ic_end; ic++) {
        const ptrdiff_t row = (ptrdiff_t)ic * d->ldw;
        for (int o0 = 0; o0 < d->ldw; o0 += L) {
            const int lanes = d->ldw - o0 < L ? d->ldw - o0 : L;
            for (int t = 0; t < 9; t++) memcpy(taps[t], w + t * panel + row + o0, sizeof(float) * (size_t)lanes);
            // G g G^T: the columns of g, then the rows of the result
            for (int j = 0; j < 3; j++) {
                for (int o = 0; o < lanes; o++) {
                    const float column[3] = {taps[j][o], taps[3 + j][o], taps[6 + j][o]};
                    float r[6];
                    dnal_winograd_filter_transform(T, column, r);
                    for (int i = 0; i < n; i++) s[i][j][o] = r[i];
                }
            }
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < lanes; o++) {
                    const float g[3] = {s[i][0][o], s[i][1][o], s[i][2][o]};
                    float r[6];
                    dnal_winograd_filter_transform(T, g, r);
                    for (int j = 0; j < n; j++) out[n * i + j][o] = r[j];
                }
            }
            for (int e = 0; e < n * n; e++) memcpy(u + e * panel + row + o0, out[e], sizeof(float) * (size_t)lanes);
        }
    }
}

void dnal_conv_winograd_weights_channels(const dnal_conv *d, const float *w, float *u, int ic_begin, int ic_end)
{
    if (dnal_winograd_tile(d) == 4) winograd_weights_tile(4, d, w, u, ic_begin, ic_end);
    else winograd_weights_tile(2, d, w, u, ic_begin, ic_end);
}

void dnal_conv_winograd_weights(const dnal_conv *d, const float *w, float *u)
{
    dnal_conv_winograd_weights_channels(d, w, u, 0, d->cin);
}
