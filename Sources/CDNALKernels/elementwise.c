// ReLU/ReLU6 and elementwise arithmetic over flat tensors (auto-vectorised loops).
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"

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
