// The per-ISA table of kernel entry points (internal to CDNALKernels).
#ifndef DNAL_KERNEL_TABLE_H
#define DNAL_KERNEL_TABLE_H
#include "include/dnal_kernels.h"

typedef struct {
    void (*conv_forward_rows)(const dnal_conv *, const float *, const float *, const float *, float *, int, int, int,
                              float *);
    void (*conv_backward_weight_rows)(const dnal_conv *, const float *, const float *, float *, float *, int, int,
                                      float *);
    void (*dwconv_forward)(const dnal_dwconv *, const float *, const float *, const float *, float *, int, int);
    void (*dwconv_backward_data)(const dnal_dwconv *, const float *, const float *, float *, int, int);
    void (*dwconv_backward_weight)(const dnal_dwconv *, const float *, const float *, float *, float *, int, int);
    float (*fma_chains)(long);
    void (*gather_channels)(const float *, int, ptrdiff_t, const int *, int, float *, int);
    void (*scatter_add_channels)(const float *, int, ptrdiff_t, const int *, int, float *, int);
    void (*sum_scatter_act)(const float *, int, const float *, int, const int *, int, ptrdiff_t, float *, int, int, int);
    /// Whether conv_forward_rows_planar takes a convolution (NULL: this ISA has no planar path).
    int (*conv_planar_applies)(const dnal_conv *);
    /// dnal_conv_forward_rows with planar input (DNAL_PLANAR_IN: x[n][c][h][w]) and/or output
    /// (DNAL_PLANAR_OUT, not accumulated), for the intermediate of a conv pair.
    void (*conv_forward_rows_planar)(const dnal_conv *, const float *, const float *, const float *, float *, int, int,
                                     int, float *, int);
} dnal_kernel_table;

/// Layout bits of conv_forward_rows_planar.
#define DNAL_PLANAR_IN 1
#define DNAL_PLANAR_OUT 2

/// Floats from one channel's plane to the next in a planar tensor: h x w plus 16, so that the
/// planes of 32x32 and 16x16 maps do not start 4 KB apart (their loads and stores would alias).
static inline ptrdiff_t dnal_planar_plane(int h, int w) { return (ptrdiff_t)h * w + 16; }

/// The portable channel gather and scatter-add (pointwise.c): the scalar and AVX2 entries, the
/// AVX-512 kernels' fallback and the reference their tests compare with.
void dnal_gather_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);
void dnal_scatter_add_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);
void dnal_sum_scatter_act_portable(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n,
                                   ptrdiff_t pixels, float *y, int ldy, int width, int act);

extern const dnal_kernel_table dnal_table_scalar;

/// Output pixels per im2col block for maps whose rows are too short for a full register tile.
#define DNAL_IM2COL_PIXELS 96

/// Whether forward rows are computed from im2col columns spanning rows: outputs narrower than
/// half a tile would leave the microkernel latency-bound (VGG's 4x4 and 2x2 maps).
static inline int dnal_uses_im2col(const dnal_conv *d)
{
    return d->wout < 8 && d->kh * d->kw > 1;
}

/// Output rows the weight-gradient kernel treats together (same image), so that its register
/// tile is loaded and stored once per ~128 output pixels rather than once per row.
static inline int dnal_weight_rows_per_block(const dnal_conv *d)
{
    int rows = (128 + d->wout - 1) / d->wout;
    return rows < 1 ? 1 : (rows > d->hout ? d->hout : rows);
}
#if defined(__x86_64__)
extern const dnal_kernel_table dnal_table_avx2;
extern const dnal_kernel_table dnal_table_avx512;
/// Scratch floats of the AVX-512 narrow-layer forward path (conv_narrow_avx512.inc).
size_t dnal_avx512_narrow_scratch_floats(const dnal_conv *d);
#endif
#endif
