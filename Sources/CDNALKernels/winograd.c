// Winograd F(2x2, 3x3): which convolutions take it, and the weight transform (the per-ISA pass
// is winograd.inc). docs/winograd.md derives the transforms and their error.
//
// A 3x3 stride-1 convolution computes each 2x2 block of outputs from a 4x4 block of inputs.
// Transformed, that is 16 independent products per input channel instead of 36 multiply-adds:
// with V = B^T d B (the input block) and U = G g G^T (the filter), the outputs are A^T (sum over
// input channels of U * V, elementwise) A. Summed over channels, each of the 16 elements is a
// matrix product of tiles x cin by cin x cout, which the implicit-GEMM microkernel runs as it
// runs a 1x1 convolution: 2.25x fewer multiply-adds than the direct convolution, for the price
// of the input and output transforms (adds only).
#include "kernel_table.h"

int dnal_conv_winograd_applies(const dnal_conv *d)
{
    if (!dnal_winograd_geometry(d)) return 0;
    // AVX-512's narrow layers (pixels in the lanes) keep their path: it is the one the pruned
    // networks' pair and chain steps are built around
    const dnal_kernel_table *t = dnal_table();
    return !(t->conv_planar_applies && t->conv_planar_applies(d));
}

size_t dnal_conv_winograd_weight_floats(const dnal_conv *d)
{
    return (size_t)16 * (size_t)d->cin * (size_t)d->ldw;
}

void dnal_conv_winograd_weights(const dnal_conv *d, const float *w, float *u)
{
    const ptrdiff_t panel = (ptrdiff_t)d->cin * d->ldw;
    for (int ic = 0; ic < d->cin; ic++) {
        // lanes of ldw (zeros beyond cout) are contiguous: the compiler vectorises across them
        for (int o = 0; o < d->ldw; o++) {
            const ptrdiff_t at = (ptrdiff_t)ic * d->ldw + o;
            float g[3][3], s[4][3];
            for (int t = 0; t < 9; t++) g[t / 3][t % 3] = w[t * panel + at];
            // G g, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
            for (int j = 0; j < 3; j++) {
                s[0][j] = g[0][j];
                s[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
                s[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
                s[3][j] = g[2][j];
            }
            // (G g) G^T
            for (int i = 0; i < 4; i++) {
                float *row = u + (ptrdiff_t)(4 * i) * panel + at;
                row[0] = s[i][0];
                row[panel] = 0.5f * (s[i][0] + s[i][1] + s[i][2]);
                row[2 * panel] = 0.5f * (s[i][0] - s[i][1] + s[i][2]);
                row[3 * panel] = s[i][2];
            }
        }
    }
}
