// Convolution entry points (dense, grouped, depthwise; forward, backward, weight packing),
// routed to the chosen ISA's kernels through its table (dispatch.c).
#include <stdlib.h>
#include <string.h>
#include "kernel_table.h"
#include "include/dnal_pointwise.h"

size_t dnal_conv_scratch_floats(const dnal_conv *d)
{
    // the forward band covers kh input rows; the weight-gradient band covers a block of rows,
    // and a narrow layer's staged weight-gradient sums follow it
    size_t band = dnal_weight_band_floats(d) + dnal_weight_stage_floats(d);
    if (dnal_weight_tile_winograd_floats(d) > band) band = dnal_weight_tile_winograd_floats(d);
    // im2col columns, and the tap classes' block of outputs after them (conv_tap_class.inc)
    const size_t columns = (size_t)DNAL_IM2COL_PIXELS * ((size_t)(d->kh * d->kw) * (size_t)d->cin + (size_t)d->ldy);
    size_t floats = (dnal_forward_uses_im2col(d) && columns > band ? columns : band) + 64;
    // the weight gradient's blocks of one tap's inputs and dy rows (conv_weight.inc)
    const size_t tap_block = 2 * (size_t)DNAL_IM2COL_PIXELS * ((size_t)d->cin + (size_t)d->ldy) + 64;
    if (dnal_uses_im2col(d) && tap_block > floats) floats = tap_block;
    // (sized whether or not the path in use takes it: the caller's thread may not run the kernels)
    if (dnal_winograd_tile(d) && dnal_winograd_scratch_floats(d) > floats) floats = dnal_winograd_scratch_floats(d);
#if defined(__x86_64__)
    const size_t narrow = dnal_avx512_narrow_scratch_floats(d) + 64;
    if (narrow > floats) floats = narrow;
    const size_t narrow_avx2 = dnal_avx2_narrow_scratch_floats(d) + 64;
    if (narrow_avx2 > floats) floats = narrow_avx2;
#endif
    return floats;
}

int dnal_conv_blocks_stream_heavy_weights(const dnal_conv *d)
{
    return dnal_uses_im2col(d) && dnal_packed_weight_bytes(d) > DNAL_HEAVY_WEIGHT_BYTES;
}

void dnal_conv_forward_rows(const dnal_conv *d, const float *x, const float *w, const float *bias, float *y,
                            int row_begin, int row_end, int accumulate, float *scratch)
{
    dnal_table()->conv_forward_rows(d, x, w, bias, y, row_begin, row_end, accumulate, scratch);
}

void dnal_conv_backward_weight_rows(const dnal_conv *d, const float *x, const float *dy, float *dw, float *dbias,
                                    int row_begin, int row_end, float *scratch)
{
    dnal_table()->conv_backward_weight_rows(d, x, dy, dw, dbias, row_begin, row_end, scratch);
}

void dnal_dwconv_forward(const dnal_dwconv *d, const float *x, const float *w, const float *bias, float *y, int n_begin,
                         int n_end)
{
    dnal_table()->dwconv_forward(d, x, w, bias, y, n_begin, n_end);
}

void dnal_dwconv_backward_data(const dnal_dwconv *d, const float *dy, const float *w, float *dx, int n_begin, int n_end)
{
    dnal_table()->dwconv_backward_data(d, dy, w, dx, n_begin, n_end);
}

void dnal_dwconv_backward_weight(const dnal_dwconv *d, const float *x, const float *dy, float *dw, float *dbias,
                                 int n_begin, int n_end)
{
    dnal_table()->dwconv_backward_weight(d, x, dy, dw, dbias, n_begin, n_end);
}

/// Channels per side of the square blocks the transposing pack walks: a block's 16 source rows
/// and 16 destination rows stay in L1 while it is copied. (Row by row, each source row scattered
/// one float to each of cout_g destination rows a whole row apart, 2 KB at 512 channels: 5.9 ms
/// to pack a 512 -> 512 3x3 layer, once per training step for its input gradient.)
#define PACK_BLOCK 16

/// One tap of the pack: dst[i][o] = src[i][o] * scale[o] (scale may be NULL), or with
/// `transpose` dst[o][i] = src[i][o]; src rows are `cout` apart, dst rows `ldw`.
static void pack_tap(const float *src, int cin_g, int cout_g, int cout, int transpose, int ldw, const float *scale,
                     float *dst)
{
    if (!transpose) {
        for (int i = 0; i < cin_g; i++) {
            const float *s = src + (size_t)i * cout;
            float *d = dst + (size_t)i * ldw;
            if (scale) for (int o = 0; o < cout_g; o++) d[o] = s[o] * scale[o];
            else for (int o = 0; o < cout_g; o++) d[o] = s[o];
        }
        return;
    }
    for (int i0 = 0; i0 < cin_g; i0 += PACK_BLOCK) {
        const int i1 = cin_g - i0 < PACK_BLOCK ? cin_g : i0 + PACK_BLOCK;
        for (int o0 = 0; o0 < cout_g; o0 += PACK_BLOCK) {
            const int o1 = cout_g - o0 < PACK_BLOCK ? cout_g : o0 + PACK_BLOCK;
            for (int o = o0; o < o1; o++) {
                for (int i = i0; i < i1; i++) dst[(size_t)o * ldw + i] = src[(size_t)i * cout + o];
            }
        }
    }
}

/// Each tap's lanes beyond the channels zeroed, then its weights (include/dnal_kernels.h).
void dnal_pack_conv_weights_taps(const float *w, int kh, int kw, int cin_g, int cout, int groups, int g, int transpose_flip,
                                 int ldw, const float *scale, int tap_begin, int tap_end, float *out)
{
    const int cout_g = cout / groups;
    const int rows = transpose_flip ? cout_g : cin_g, width = transpose_flip ? cin_g : cout_g;
    if (transpose_flip) scale = NULL;
    for (int t = tap_begin; t < tap_end; t++) {
        const int a = t / kw, b = t % kw;
        const int sa = transpose_flip ? kh - 1 - a : a, sb = transpose_flip ? kw - 1 - b : b;
        const float *src = w + ((size_t)sa * kw + sb) * cin_g * cout + (size_t)g * cout_g;
        float *dst = out + (size_t)t * rows * ldw;
        // only the lanes beyond the channels need zeros (none at 512 channels)
        for (int r = 0; width < ldw && r < rows; r++) {
            memset(dst + (size_t)r * ldw + width, 0, sizeof(float) * (size_t)(ldw - width));
        }
        pack_tap(src, cin_g, cout_g, cout, transpose_flip, ldw, scale ? scale + (size_t)g * cout_g : NULL, dst);
    }
}

void dnal_unpack_conv_weights_add_taps(const float *packed, int cin_g, int cout, int groups, int g, int ldw, int tap_begin,
                                       int tap_end, float *w)
{
    const int cout_g = cout / groups;
    for (int t = tap_begin; t < tap_end; t++) {
        for (int i = 0; i < cin_g; i++) {
            const float *src = packed + ((size_t)t * cin_g + i) * ldw;
            float *dst = w + ((size_t)t * cin_g + i) * cout + (size_t)g * cout_g;
            for (int o = 0; o < cout_g; o++) dst[o] += src[o];
        }
    }
}

