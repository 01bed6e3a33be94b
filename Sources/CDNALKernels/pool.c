// Max, average and global average pooling, forward and backward, over NHWC images.
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"
#include "kernel_table.h"

/// Whether v replaces the running maximum cur: strictly greater (the first maximum wins, as in
/// PyTorch), or NaN where cur is not (a NaN then stays).
#define MAX_TAKES(v, cur) (((v) > (cur)) | (((v) != (v)) & ((cur) == (cur))))

/// The 2x2, stride-2 windows that lie inside the map (VGG's pools): one pass over the channels
/// per output pixel with the four taps in registers. The general walk below copies the first
/// tap and makes a pass per tap, which on 19 channels (a pruned VGG16's first pool) spent more
/// time on loop overhead than on the maxima. Taps are taken in the same order, so the results
/// (ties, NaNs, signed zeros, argmax) are the general walk's. AVX-512 runs its own version of
/// this loop (pool_avx512.inc), of which this is the scalar twin.
static void maxpool_2x2(const dnal_pool *d, const float *x, float *y, int *argmax, int n_begin, int n_end)
{
    const int C = d->c;
    const ptrdiff_t row = (ptrdiff_t)d->w * C;
    for (int n = n_begin; n < n_end; n++) {
        const ptrdiff_t image = (ptrdiff_t)n * d->h * row;
        for (int oh = 0; oh < d->hout; oh++) {
            for (int ow = 0; ow < d->wout; ow++) {
                const ptrdiff_t o = (((ptrdiff_t)n * d->hout + oh) * d->wout + ow) * C;
                const ptrdiff_t first = image + 2 * oh * row + (ptrdiff_t)2 * ow * C;
                const float *restrict p0 = x + first, *restrict p1 = p0 + C, *restrict p2 = p0 + row, *restrict p3 = p2 + C;
                float *restrict yp = y + o;
                if (!argmax) {
                    for (int i = 0; i < C; i++) {
                        float m = p0[i];
                        m = MAX_TAKES(p1[i], m) ? p1[i] : m;
                        m = MAX_TAKES(p2[i], m) ? p2[i] : m;
                        yp[i] = MAX_TAKES(p3[i], m) ? p3[i] : m;
                    }
                    continue;
                }
                int *restrict ap = argmax + o;
                const int base = (int)(first - image);
                for (int i = 0; i < C; i++) {
                    float m = p0[i];
                    int at = base + i, take = -MAX_TAKES(p1[i], m);
                    m = take ? p1[i] : m;
                    at = (at & ~take) | ((base + C + i) & take);
                    take = -MAX_TAKES(p2[i], m);
                    m = take ? p2[i] : m;
                    at = (at & ~take) | ((base + (int)row + i) & take);
                    take = -MAX_TAKES(p3[i], m);
                    yp[i] = take ? p3[i] : m;
                    ap[i] = (at & ~take) | ((base + (int)row + C + i) & take);
                }
            }
        }
    }
}

void dnal_maxpool_forward(const dnal_pool *d, const float *x, float *y, int *argmax, int n_begin, int n_end)
{
    if (d->k == 2 && d->stride == 2 && d->pad == 0 && 2 * d->hout <= d->h && 2 * d->wout <= d->w) {
        const dnal_kernel_table *table = dnal_table();
        if (table->maxpool_2x2) table->maxpool_2x2(d, x, y, argmax, n_begin, n_end);
        else maxpool_2x2(d, x, y, argmax, n_begin, n_end);
        return;
    }
    // Branch-free over channels so it vectorises: the first in-range tap initialises, later taps
    // replace where strictly greater (the first maximum wins, as in PyTorch) or NaN (which then
    // stays). argmax may be NULL (inference).
    const int C = d->c;
    for (int n = n_begin; n < n_end; n++) {
        const ptrdiff_t image = (ptrdiff_t)n * d->h * d->w * C;
        for (int oh = 0; oh < d->hout; oh++) {
            for (int ow = 0; ow < d->wout; ow++) {
                const ptrdiff_t o = (((ptrdiff_t)n * d->hout + oh) * d->wout + ow) * C;
                float *yp = y + o;
                int *ap = argmax ? argmax + o : NULL;
                int first = 1;
                for (int kh = 0; kh < d->k; kh++) {
                    const int ih = oh * d->stride - d->pad + kh;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int kw = 0; kw < d->k; kw++) {
                        const int iw = ow * d->stride - d->pad + kw;
                        if (iw < 0 || iw >= d->w) continue;
                        const ptrdiff_t base = (((ptrdiff_t)n * d->h + ih) * d->w + iw) * C;
                        const float *xp = x + base;
                        const int index = (int)(base - image);
                        if (first) {
                            memcpy(yp, xp, sizeof(float) * (size_t)C);
                            if (ap) for (int i = 0; i < C; i++) ap[i] = index + i;
                            first = 0;
                            continue;
                        }
                        if (ap) {
                            // as integer masks, restrict-qualified: the select form was scalar
                            // and branchy (VGG16's first pool, 23 ms of a 1.4 s training step)
                            float *restrict yr = yp;
                            int *restrict ar = ap;
                            const float *restrict xr = xp;
                            for (int i = 0; i < C; i++) {
                                const float v = xr[i], cur = yr[i];
                                const int take = -MAX_TAKES(v, cur);
                                yr[i] = take ? v : cur;
                                ar[i] = (ar[i] & ~take) | ((index + i) & take);
                            }
                        } else {
                            for (int i = 0; i < C; i++) {
                                const float v = xp[i], cur = yp[i];
                                const int take = MAX_TAKES(v, cur);
                                yp[i] = take ? v : cur;
                            }
                        }
                    }
                }
                if (first) {
                    for (int i = 0; i < C; i++) yp[i] = -INFINITY;
                    if (ap) for (int i = 0; i < C; i++) ap[i] = -1;
                }
            }
        }
    }
}

void dnal_maxpool_backward(const dnal_pool *d, const float *dy, const int *argmax, float *dx, int n_begin, int n_end)
{
    const ptrdiff_t in_image = (ptrdiff_t)d->h * d->w * d->c, out_image = (ptrdiff_t)d->hout * d->wout * d->c;
    memset(dx + (ptrdiff_t)n_begin * in_image, 0, sizeof(float) * (size_t)((n_end - n_begin) * in_image));
    for (int n = n_begin; n < n_end; n++) {
        const float *dp = dy + n * out_image;
        const int *ap = argmax + n * out_image;
        float *xp = dx + n * in_image;
        for (ptrdiff_t i = 0; i < out_image; i++) {
            if (ap[i] >= 0) xp[ap[i]] += dp[i];
        }
    }
}

void dnal_avgpool_forward(const dnal_pool *d, const float *x, float *y, int n_begin, int n_end)
{
    const int C = d->c;
    const float inv = 1.0f / (float)(d->k * d->k);
    for (int n = n_begin; n < n_end; n++) {
        for (int oh = 0; oh < d->hout; oh++) {
            for (int ow = 0; ow < d->wout; ow++) {
                float *yp = y + (((ptrdiff_t)n * d->hout + oh) * d->wout + ow) * C;
                memset(yp, 0, sizeof(float) * (size_t)C);
                for (int kh = 0; kh < d->k; kh++) {
                    const int ih = oh * d->stride - d->pad + kh;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int kw = 0; kw < d->k; kw++) {
                        const int iw = ow * d->stride - d->pad + kw;
                        if (iw < 0 || iw >= d->w) continue;
                        const float *xp = x + (((ptrdiff_t)n * d->h + ih) * d->w + iw) * C;
                        for (int i = 0; i < C; i++) yp[i] += xp[i];
                    }
                }
                for (int i = 0; i < C; i++) yp[i] *= inv;
            }
        }
    }
}

void dnal_avgpool_backward(const dnal_pool *d, const float *dy, float *dx, int n_begin, int n_end)
{
    const int C = d->c;
    const float inv = 1.0f / (float)(d->k * d->k);
    memset(dx + (ptrdiff_t)n_begin * d->h * d->w * C, 0, sizeof(float) * (size_t)(n_end - n_begin) * (size_t)(d->h * d->w * C));
    for (int n = n_begin; n < n_end; n++) {
        for (int oh = 0; oh < d->hout; oh++) {
            for (int ow = 0; ow < d->wout; ow++) {
                const float *dp = dy + (((ptrdiff_t)n * d->hout + oh) * d->wout + ow) * C;
                for (int kh = 0; kh < d->k; kh++) {
                    const int ih = oh * d->stride - d->pad + kh;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int kw = 0; kw < d->k; kw++) {
                        const int iw = ow * d->stride - d->pad + kw;
                        if (iw < 0 || iw >= d->w) continue;
                        float *xp = dx + (((ptrdiff_t)n * d->h + ih) * d->w + iw) * C;
                        for (int i = 0; i < C; i++) xp[i] += dp[i] * inv;
                    }
                }
            }
        }
    }
}

void dnal_gap_forward(const float *x, int hw, int c, float *y, int n_begin, int n_end)
{
    double sum[c];
    for (int n = n_begin; n < n_end; n++) {
        memset(sum, 0, sizeof(double) * (size_t)c);
        dnal_channel_sum(x + (ptrdiff_t)n * hw * c, hw, c, sum);
        for (int i = 0; i < c; i++) y[(ptrdiff_t)n * c + i] = (float)(sum[i] / hw);
    }
}

void dnal_gap_backward(const float *dy, int hw, int c, float *dx, int n_begin, int n_end)
{
    const float inv = 1.0f / (float)hw;
    for (int n = n_begin; n < n_end; n++) {
        const float *dp = dy + (ptrdiff_t)n * c;
        for (int p = 0; p < hw; p++) {
            float *xp = dx + ((ptrdiff_t)n * hw + p) * c;
            for (int i = 0; i < c; i++) xp[i] = dp[i] * inv;
        }
    }
}
