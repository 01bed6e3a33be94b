// NHWC <-> CHW layout transforms (a linear layer reading a feature map in PyTorch's order).
#include <math.h>
#include <string.h>
#include "include/dnal_pointwise.h"

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
