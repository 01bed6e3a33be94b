// The portable twins of the flat batch-norm reductions (pointwise_flat.h): the scalar path runs
// them, and every vector ISA's flat walk (pointwise_flat_simd.inc) equals them bit for bit. The
// elementwise passes need no twin of their own: each output is the same expression, walked flat
// or per pixel.
#include <string.h>
#include "kernel_table.h"
#include "activation.h"
#include "pointwise_flat.h"

void dnal_channel_moments_flat_portable(const float *x, ptrdiff_t pixels, int c, int period, double *mean, double *m2)
{
    float acc[DNAL_PW_FLAT_MAX], a1[DNAL_PW_FLAT_MAX], a2[DNAL_PW_FLAT_MAX], tm[DNAL_PW_FLAT_MAX];
    float mb[c], f1[c], f2[c];
    for (int i = 0; i < c; i++) mean[i] = m2[i] = 0;
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels, len = (p1 - p0) * c;
        const float *xb = x + p0 * c;
        memset(acc, 0, sizeof acc);
        for (ptrdiff_t i = 0; i < len; i++) acc[i % period] += xb[i];
        dnal_pw_flat_fold(acc, period, c, mb);
        const float inverse = 1.0f / (float)(p1 - p0);
        for (int i = 0; i < c; i++) mb[i] *= inverse;
        dnal_pw_flat_tile(mb, c, period, tm);
        memset(a1, 0, sizeof a1);
        memset(a2, 0, sizeof a2);
        for (ptrdiff_t i = 0; i < len; i++) {
            const float d = xb[i] - tm[i % period];
            a1[i % period] += d;
            a2[i % period] += d * d;
        }
        dnal_pw_flat_fold(a1, period, c, f1);
        dnal_pw_flat_fold(a2, period, c, f2);
        dnal_moments_merge(c, (double)p0, (double)(p1 - p0), mb, f1, f2, mean, m2);
    }
}

void dnal_fused_bn_reduce_flat_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, int period,
                                        const float *scale, const float *shift, int act, double *a_sum, double *ax_sum)
{
    float ts[DNAL_PW_FLAT_MAX], tb[DNAL_PW_FLAT_MAX], sa[DNAL_PW_FLAT_MAX], sax[DNAL_PW_FLAT_MAX];
    float fa[c], fax[c];
    dnal_pw_flat_tile(scale, c, period, ts);
    dnal_pw_flat_tile(shift, c, period, tb);
    for (ptrdiff_t p0 = 0; p0 < pixels; p0 += 64) {
        const ptrdiff_t p1 = p0 + 64 < pixels ? p0 + 64 : pixels, len = (p1 - p0) * c;
        const float *xb = x + p0 * c, *db = dz + p0 * c;
        memset(sa, 0, sizeof sa);
        memset(sax, 0, sizeof sax);
        for (ptrdiff_t i = 0; i < len; i++) {
            const int s = (int)(i % period);
            const float d = db[i] * dnal_act_mask(xb[i] * ts[s] + tb[s], act);
            sa[s] += d;
            sax[s] += d * xb[i];
        }
        dnal_pw_flat_fold(sa, period, c, fa);
        dnal_pw_flat_fold(sax, period, c, fax);
        for (int i = 0; i < c; i++) {
            a_sum[i] += fa[i];
            ax_sum[i] += fax[i];
        }
    }
}
