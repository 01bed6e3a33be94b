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
#include "kernel_table.h"

int dnal_conv_winograd_applies(const dnal_conv *d)
{
    const int tile = dnal_winograd_tile(d);
    // AVX-512's narrow layers (pixels in the lanes) keep their path: it is the one the pruned
    // networks' pair and chain steps are built around
    const dnal_kernel_table *t = dnal_table();
    return t->conv_planar_applies && t->conv_planar_applies(d) ? 0 : tile;
}

size_t dnal_conv_winograd_weight_floats(const dnal_conv *d)
{
    return (size_t)dnal_winograd_elements(dnal_winograd_tile(d)) * (size_t)d->cin * (size_t)d->ldw;
}

/// u = G g for one filter row or column g of 3 taps: F(2x2, 3x3)'s G = [1 0 0; 1/2 1/2 1/2;
/// 1/2 -1/2 1/2; 0 0 1], or F(4x4, 3x3)'s [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
/// 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
static void filter_transform(int tile, const float g[3], float *u)
{
    if (tile == 2) {
        u[0] = g[0];
        u[1] = 0.5f * (g[0] + g[1] + g[2]);
        u[2] = 0.5f * (g[0] - g[1] + g[2]);
        u[3] = g[2];
        return;
    }
    u[0] = 0.25f * g[0];
    u[1] = -(g[0] + g[1] + g[2]) / 6.0f;
    u[2] = -(g[0] - g[1] + g[2]) / 6.0f;
    u[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f;
    u[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;
    u[5] = g[2];
}

void dnal_conv_winograd_weights(const dnal_conv *d, const float *w, float *u)
{
    const int tile = dnal_winograd_tile(d), n = tile + 2;
    const ptrdiff_t panel = (ptrdiff_t)d->cin * d->ldw;
    for (int ic = 0; ic < d->cin; ic++) {
        for (int o = 0; o < d->ldw; o++) {
            const ptrdiff_t at = (ptrdiff_t)ic * d->ldw + o;
            // G g G^T: the columns of g, then the rows of the result
            float column[3], s[6][3], row[3], out[6];
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < 3; i++) column[i] = w[(3 * i + j) * panel + at];
                filter_transform(tile, column, out);
                for (int i = 0; i < n; i++) s[i][j] = out[i];
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 3; j++) row[j] = s[i][j];
                filter_transform(tile, row, out);
                for (int j = 0; j < n; j++) u[(ptrdiff_t)(n * i + j) * panel + at] = out[j];
            }
        }
    }
}
