// Softmax cross-entropy and the optimiser steps (SGD with momentum, Adam).
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"

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
