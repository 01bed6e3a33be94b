// Memory-bound kernels; see include/dnal_pointwise.h. Written for the auto-vectoriser: simple
// loops over contiguous channels.
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"

void dnal_channel_sum(const float *x, ptrdiff_t pixels, int c, double *sum)
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

void dnal_channel_centered_squares(const float *x, ptrdiff_t pixels, int c, const double *mean, double *sum)
{
    float acc[c], m[c];
    for (int i = 0; i < c; i++) m[i] = (float)mean[i];
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        memset(acc, 0, sizeof(float) * (size_t)c);
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const float *xp = x + p * c;
            for (int i = 0; i < c; i++) {
                const float d = xp[i] - m[i];
                acc[i] += d * d;
            }
        }
        for (int i = 0; i < c; i++) sum[i] += acc[i];
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

/// The activation's value and slope mask for the fused kernels (NaN passes through the value).
static inline float dnal_act_value(float v, int act)
{
    if (act == DNAL_ACT_NONE) return v;
    v = v < 0.0f ? 0.0f : v;
    return act == DNAL_ACT_RELU6 && v > 6.0f ? 6.0f : v;
}

static inline float dnal_act_mask(float v, int act)
{
    if (act == DNAL_ACT_NONE) return 1.0f;
    if (act == DNAL_ACT_RELU6) return (v > 0.0f && v < 6.0f) ? 1.0f : 0.0f;
    return v > 0.0f ? 1.0f : 0.0f;
}

void dnal_channel_affine_act(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, int act,
                             float *y)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *xp = x + p * c;
        float *yp = y + p * c;
        for (int i = 0; i < c; i++) yp[i] = dnal_act_value(xp[i] * scale[i] + shift[i], act);
    }
}

void dnal_fused_bn_reduce(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                          const float *shift, int act, double *a_sum, double *ax_sum)
{
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

void dnal_fused_bn_backward(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                            const float *shift, int act, const float *g, const float *mean, const float *k1,
                            const float *k2, const float *k3, float *dx)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *dp = dz + p * c, *xp = x + p * c;
        float *op = dx + p * c;
        for (int i = 0; i < c; i++) {
            const float d = dp[i] * dnal_act_mask(xp[i] * scale[i] + shift[i], act) * g[i];
            op[i] = k1[i] * (d - k2[i] - (xp[i] - mean[i]) * k3[i]);
        }
    }
}

void dnal_relu_forward(const float *x, ptrdiff_t n, int relu6, float *y)
{
    // Written so that NaN passes through (every comparison with NaN is false), as in PyTorch:
    // a diverging run must show NaN logits, not silently become zeros.
    if (relu6) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const float v = x[i] < 0.0f ? 0.0f : x[i];
            y[i] = v > 6.0f ? 6.0f : v;
        }
    } else {
        for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
    }
}

void dnal_relu_backward(const float *dy, const float *y, ptrdiff_t n, int relu6, float *dx)
{
    // dy is loaded unconditionally: a conditional load does not vectorise (no masked loads in
    // baseline x86-64) and becomes a mispredicted branch per element, 40x slower.
    if (relu6) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const float d = dy[i];
            dx[i] = (y[i] > 0.0f && y[i] < 6.0f) ? d : 0.0f;
        }
    } else {
        for (ptrdiff_t i = 0; i < n; i++) {
            const float d = dy[i];
            dx[i] = y[i] > 0.0f ? d : 0.0f;
        }
    }
}

void dnal_add(const float *a, const float *b, ptrdiff_t n, float *y)
{
    for (ptrdiff_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

void dnal_scale(const float *x, ptrdiff_t n, float scale, float *y)
{
    for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] * scale;
}

void dnal_multiply(const float *x, const float *m, ptrdiff_t n, float *y)
{
    for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] * m[i];
}

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
                                   ptrdiff_t pixels, float *y, int ldy, int width, int act)
{
    for (ptrdiff_t p = 0; p < pixels; p++) {
        const float *tp = trunk + p * ldt, *xp = x + p * ldx;
        float *yp = y + p * ldy;
        if (yp != tp) memmove(yp, tp, sizeof(float) * (size_t)width);
        for (int k = 0; k < n; k++) yp[index[k]] += xp[k];
        if (act != DNAL_ACT_NONE) {
            for (int c = 0; c < width; c++) yp[c] = dnal_act_value(yp[c], act);
        }
    }
}

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
                            for (int i = 0; i < C; i++) {
                                const float v = xp[i], cur = yp[i];
                                const int take = (v > cur) | ((v != v) & (cur == cur));
                                yp[i] = take ? v : cur;
                                ap[i] = take ? index + i : ap[i];
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

void dnal_nhwc_to_chw(const float *x, int n, int hw, int c, float *y)
{
    for (int b = 0; b < n; b++) {
        for (int p = 0; p < hw; p++) {
            for (int i = 0; i < c; i++) y[((ptrdiff_t)b * c + i) * hw + p] = x[((ptrdiff_t)b * hw + p) * c + i];
        }
    }
}

void dnal_chw_to_nhwc(const float *x, int n, int hw, int c, float *y)
{
    for (int b = 0; b < n; b++) {
        for (int p = 0; p < hw; p++) {
            for (int i = 0; i < c; i++) y[((ptrdiff_t)b * hw + p) * c + i] = x[((ptrdiff_t)b * c + i) * hw + p];
        }
    }
}

int dnal_softmax_cross_entropy(const float *logits, const int *labels, int row_begin, int row_end, int classes,
                               float scale, double *loss_sum, float *dlogits)
{
    for (int r = row_begin; r < row_end; r++) {
        const float *z = logits + (ptrdiff_t)r * classes;
        float *g = dlogits + (ptrdiff_t)r * classes;
        const int label = labels[r];
        if (label < 0 || label >= classes) return -1;
        float m = z[0];
        for (int i = 0; i < classes; i++) {
            if (!isfinite(z[i])) return -1;
            if (z[i] > m) m = z[i];
        }
        double s = 0;
        for (int i = 0; i < classes; i++) s += exp((double)(z[i] - m));
        const double log_s = log(s);
        *loss_sum += log_s - (double)(z[label] - m);
        for (int i = 0; i < classes; i++) {
            const double p = exp((double)(z[i] - m) - log_s);
            g[i] = (float)((p - (i == label ? 1.0 : 0.0)) * scale);
        }
    }
    return 0;
}

void dnal_sgd_step(float *w, const float *g, float *v, ptrdiff_t n, float lr, float momentum, float wd, int nesterov)
{
    for (ptrdiff_t i = 0; i < n; i++) {
        const float gi = g[i] + wd * w[i];
        const float vi = momentum * v[i] + gi;
        v[i] = vi;
        w[i] -= lr * (nesterov ? gi + momentum * vi : vi);
    }
}

void dnal_adam_step(float *w, const float *g, float *m, float *v, ptrdiff_t n, float lr, float beta1, float beta2,
                    float eps, float wd, float c1, float c2)
{
    for (ptrdiff_t i = 0; i < n; i++) {
        const float gi = g[i] + wd * w[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
        v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        const float mh = m[i] / c1, vh = v[i] / c2;
        w[i] -= lr * mh / (sqrtf(vh) + eps);
    }
}
