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
} dnal_kernel_table;

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
