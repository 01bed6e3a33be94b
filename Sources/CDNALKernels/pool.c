// Max, average and global average pooling, forward and backward, over NHWC images.
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"

void dnal_maxpool_forward(const dnal_pool *d, const float *x, float *y, int *argmax, int n_begin, int n_end)
{
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
                                const int take = -((v > cur) | ((v != v) & (cur == cur)));
                                yr[i] = take ? v : cur;
                                ar[i] = (ar[i] & ~take) | ((index + i) & take);
                            }
                        } else {
                            for (int i = 0; i < C; i++) {
                                const float v = xp[i], cur = yp[i];
                                const int take = (v > cur) | ((v != v) & (cur == cur));
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
