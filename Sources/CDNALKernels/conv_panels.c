// The packed forward weights re-laid as column panels (include/dnal_kernels.h): the general
// microkernel reads two vectors of output channels from each row of its K block, and on layers
// of 512 outputs or more those rows lie 2 KB or more apart.
#include <string.h>
#include "kernel_table.h"

int dnal_conv_panel_width(const dnal_conv *d)
{
    return d->ldw >= DNAL_PANEL_LDW ? dnal_table()->panel_width : 0;
}

size_t dnal_conv_panel_floats(const dnal_conv *d, int width)
{
    if (width <= 0) return 0;
    const size_t rows = (size_t)d->kh * (size_t)d->kw * (size_t)d->cin;
    const size_t panels = ((size_t)d->ldw + (size_t)width - 1) / (size_t)width;
    return rows * panels * (size_t)width;
}

void dnal_conv_pack_panels(const dnal_conv *d, const float *w, int width, int row_begin, int row_end, float *panels)
{
    const size_t rows = (size_t)d->kh * (size_t)d->kw * (size_t)d->cin;
    for (int p0 = 0; p0 < d->ldw; p0 += width) {
        const int lanes = d->ldw - p0 < width ? d->ldw - p0 : width;
        float *panel = panels + (size_t)(p0 / width) * rows * (size_t)width;
        for (int r = row_begin; r < row_end; r++) {
            float *dst = panel + (size_t)r * (size_t)width;
            memcpy(dst, w + (size_t)r * (size_t)d->ldw + p0, sizeof(float) * (size_t)lanes);
            if (lanes < width) memset(dst + lanes, 0, sizeof(float) * (size_t)(width - lanes));
        }
    }
}
