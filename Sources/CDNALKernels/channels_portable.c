// Portable channel copies, gathers, scatters and scatter-sums (the scalar table's and the
// reference for the AVX-512 ones in channels_avx512.inc and the AVX2 sums in channels_avx2.inc).
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "include/dnal_pointwise.h"
#include "activation.h"
#include "kernel_table.h"

void dnal_copy_channels(const float *x, int ldx, ptrdiff_t pixels, int width, float *y, int ldy, int accumulate)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * ldx;
        float *yp = y + p * ldy;
        if (accumulate) {
            for (int i = 0; i < width; i++) yp[i] += xp[i];
        } else {
            memcpy(yp, xp, sizeof(float) * (size_t)width);
        }
    }
}

void dnal_gather_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * ldx;
        float *yp = y + p * ldy;
        for (int k = 0; k < n; k++) yp[k] = xp[index[k]];
    }
}

void dnal_scatter_add_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * ldx;
        float *yp = y + p * ldy;
        for (int k = 0; k < n; k++) yp[index[k]] += xp[k];
    }
}

void dnal_sum_scatter_act_portable(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n,
                                   ptrdiff_t pixels, float *y, int ldy, int width, int act, float *g, int ldg,
                                   const int *gindex, int ng, uint16_t *mask)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *tp = trunk + p * ldt, *xp = x + p * ldx;
        float *yp = y + p * ldy;
        if (yp != tp) memmove(yp, tp, sizeof(float) * (size_t)width);
        for (int k = 0; k < n; k++) yp[index[k]] += xp[k];
        if (act != DNAL_ACT_NONE) {
            for (int c = 0; c < width; c++) yp[c] = dnal_act_value(yp[c], act);
        }
        for (int k = 0; k < ng; k++) g[p * ldg + k] = yp[gindex[k]];
        if (mask) dnal_slope_mask_portable(yp, 1, width, act, mask + p * ((width + 15) / 16));
    }
}

void dnal_slope_mask_portable(const float *y, ptrdiff_t pixels, int width, int act, uint16_t *mask)
{
    const int groups = (width + 15) / 16;
    for (ptrdiff_t p = 0; p < pixels; p++) {
        for (int j = 0; j < groups; j++) {
            unsigned bits = 0;
            for (int i = 0; i < 16 && 16 * j + i < width; i++) {
                if (dnal_act_mask(y[p * width + 16 * j + i], act) != 0.0f) bits |= 1u << i;
            }
            mask[p * groups + j] = (uint16_t)bits;
        }
    }
}

void dnal_sum_scatter_act_backward_portable(const float *dy, const uint16_t *mask, int width, const float *pending, int ldp,
                                            const int *pindex, int np, ptrdiff_t pixels, int act, float *dsum,
                                            float *g, int ldg, const int *gindex, int ng)
{
    const int groups = (width + 15) / 16;
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *dyp = dy + p * width;
        float *dp = dsum + p * width;
        if (dp != dyp) memmove(dp, dyp, sizeof(float) * (size_t)width);
        for (int k = 0; k < np; k++) dp[pindex[k]] += pending[p * ldp + k];
        if (act != DNAL_ACT_NONE) {
            // a select, not a product: where the slope is 0 the gradient is 0 even when the
            // incoming one is NaN, as in dnal_relu_backward
            for (int c = 0; c < width; c++) dp[c] = mask[p * groups + c / 16] >> (c % 16) & 1 ? dp[c] : 0.0f;
        }
        for (int k = 0; k < ng; k++) g[p * ldg + k] = dp[gindex[k]];
    }
}
