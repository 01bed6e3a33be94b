// Batch norm: per-channel statistics, the affine pass (with a fused activation), and the fused
// conv-block reductions and backward pass. Simple loops over contiguous channels (see
// include/dnal_pointwise.h); the passes a training step runs on every conv (the *_portable ones)
// go through the ISA's table, whose AVX2 and AVX-512 versions are pointwise_simd.inc, and these
// loops are their scalar twins.
#include <math.h>
#include <string.h>
#include "kernel_table.h"
#include "include/dnal_pointwise.h"
#include "activation.h"
#include "pointwise_flat.h"

void dnal_channel_sum(const float *x, ptrdiff_t pixels, int c, double *sum)
{
    dnal_table()->channel_sum(x, pixels, c, sum);
}

void dnal_channel_moments(const float *x, ptrdiff_t pixels, int c, double *mean, double *m2)
{
    dnal_table()->channel_moments(x, pixels, c, mean, m2);
}

void dnal_moments_combine(int c, double n, double nb, const double *bmean, const double *bm2, double *mean, double *m2)
{
    for (int i = 0; i < c; i++) dnal_moments_add(n, nb, bmean[i], bm2[i], mean + i, m2 + i);
}

void dnal_channel_affine_act(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, int act,
                             float *y, int stream)
{
    dnal_table()->channel_affine_act(x, pixels, c, scale, shift, act, y, stream);
}

void dnal_fused_bn_reduce(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                          const float *shift, int act, double *a_sum, double *ax_sum)
{
    dnal_table()->fused_bn_reduce(dz, x, pixels, c, scale, shift, act, a_sum, ax_sum);
}

void dnal_fused_bn_backward(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                            const float *shift, int act, const float *g, const float *mean, const float *k1,
                            const float *k2, const float *k3, float *dx, int stream)
{
    dnal_table()->fused_bn_backward(dz, x, pixels, c, scale, shift, act, g, mean, k1, k2, k3, dx, stream);
}

void dnal_channel_sum_portable(const float *x, ptrdiff_t pixels, int c, double *sum)
{
    // Sum each pixel row into a float accumulator block, then flush to double every 64 rows:
    // vectorisable, and the float partials stay short enough to be accurate.
    float acc[c];
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        memset(acc, 0, sizeof(float) * (size_t)c);
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const float *xp = x + p * c;
            for (int i = 0; i < c; i++) acc[i] += xp[i];
        }
        for (int i = 0; i < c; i++) sum[i] += acc[i];
    }
}

void dnal_channel_moments_portable(const float *x, ptrdiff_t pixels, int c, double *mean, double *m2)
{
    const int period = dnal_pw_flat_period(c);
    if (period) {
        dnal_channel_moments_flat_portable(x, pixels, c, period, mean, m2);
        return;
    }
    float acc[c], mb[c], a1[c], a2[c];
    for (int i = 0; i < c; i++) mean[i] = m2[i] = 0;
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
        memset(acc, 0, sizeof(float) * (size_t)c);
        for (ptrdiff_t p = p0; p < p1; p++) {
            for (int i = 0; i < c; i++) acc[i] += x[p * c + i];
        }
        const float inverse = 1.0f / (float)(p1 - p0);
        for (int i = 0; i < c; i++) mb[i] = acc[i] * inverse;
        memset(a1, 0, sizeof(float) * (size_t)c);
        memset(a2, 0, sizeof(float) * (size_t)c);
        for (ptrdiff_t p = p0; p < p1; p++) {
            for (int i = 0; i < c; i++) {
                const float d = x[p * c + i] - mb[i];
                a1[i] += d;
                a2[i] += d * d;
            }
        }
        dnal_moments_merge(c, (double)p0, (double)(p1 - p0), mb, a1, a2, mean, m2);
    }
}

void dnal_channel_dot(const float *a, const float *b, ptrdiff_t pixels, int c, double *a_sum, double *ab_sum)
{
    float sa[c], sab[c];
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        memset(sa, 0, sizeof(float) * (size_t)c);
        memset(sab, 0, sizeof(float) * (size_t)c);
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const float *ap = a + p * c, *bp = b + p * c;
            for (int i = 0; i < c; i++) {
                sa[i] += ap[i];
                sab[i] += ap[i] * bp[i];
            }
        }
        for (int i = 0; i < c; i++) {
            if (a_sum) a_sum[i] += sa[i];
            ab_sum[i] += sab[i];
        }
    }
}

void dnal_channel_affine(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, float *y)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * c;
        float *yp = y + p * c;
        if (shift) {
            for (int i = 0; i < c; i++) yp[i] = xp[i] * scale[i] + shift[i];
        } else {
            for (int i = 0; i < c; i++) yp[i] = xp[i] * scale[i];
        }
    }
}

void dnal_bn_backward_data(const float *dy, const float *x, ptrdiff_t pixels, int c, const float *mean,
                           const float *k1, const float *k2, const float *k3, float *dx)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *dp = dy + p * c, *xp = x + p * c;
        float *op = dx + p * c;
        for (int i = 0; i < c; i++) op[i] = k1[i] * (dp[i] - k2[i] - (xp[i] - mean[i]) * k3[i]);
    }
}

void dnal_channel_affine_act_portable(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, int act,
                             float *y, int stream)
{
    (void)stream;  // plain stores: the portable path has no streaming store
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * c;
        float *yp = y + p * c;
        for (int i = 0; i < c; i++) yp[i] = dnal_act_value(xp[i] * scale[i] + shift[i], act);
    }
}

void dnal_fused_bn_reduce_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                          const float *shift, int act, double *a_sum, double *ax_sum)
{
    const int period = dnal_pw_flat_period(c);
    if (period) {
        dnal_fused_bn_reduce_flat_portable(dz, x, pixels, c, period, scale, shift, act, a_sum, ax_sum);
        return;
    }
    float sa[c], sax[c];
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        memset(sa, 0, sizeof(float) * (size_t)c);
        memset(sax, 0, sizeof(float) * (size_t)c);
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const float *dp = dz + p * c, *xp = x + p * c;
            for (int i = 0; i < c; i++) {
                const float d = dp[i] * dnal_act_mask(xp[i] * scale[i] + shift[i], act);
                sa[i] += d;
                sax[i] += d * xp[i];
            }
        }
        for (int i = 0; i < c; i++) {
            a_sum[i] += sa[i];
            ax_sum[i] += sax[i];
        }
    }
}

void dnal_fused_bn_backward_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                            const float *shift, int act, const float *g, const float *mean, const float *k1,
                            const float *k2, const float *k3, float *dx, int stream)
{
    (void)stream;
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *dp = dz + p * c, *xp = x + p * c;
        float *op = dx + p * c;
        for (int i = 0; i < c; i++) {
            const float d = dp[i] * dnal_act_mask(xp[i] * scale[i] + shift[i], act) * g[i];
            op[i] = k1[i] * (d - k2[i] - (xp[i] - mean[i]) * k3[i]);
        }
    }
}
