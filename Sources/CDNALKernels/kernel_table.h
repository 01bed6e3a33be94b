// The per-ISA table of kernel entry points (internal to CDNALKernels).
#ifndef DNAL_KERNEL_TABLE_H
#define DNAL_KERNEL_TABLE_H
#include "include/dnal_kernels.h"
#include "include/dnal_pointwise.h"

/// Independent FMA chains the peak probe runs for vectors of `lanes` floats: 16 where there are
/// 32 vector registers (AVX-512), 12 where there are 16 (AVX2, and the scalar path's SSE).
#define DNAL_PEAK_CHAINS(lanes) ((lanes) >= 16 ? 16 : 12)

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
    void (*sum_scatter_act)(const float *, int, const float *, int, const int *, int, ptrdiff_t, float *, int, int, int,
                            float *, int, const int *, int, uint16_t *);
    void (*sum_scatter_act_backward)(const float *, const uint16_t *, int, const float *, int, const int *, int, ptrdiff_t,
                                     int, float *, float *, int, const int *, int);
    void (*slope_mask)(const float *, ptrdiff_t, int, int, uint16_t *);
    /// Whether conv_forward_rows runs a convolution with pixels in the lanes (the narrow path),
    /// which Winograd weights do not replace (NULL: this ISA has no such path).
    int (*conv_narrow_applies)(const dnal_conv *);
    /// Whether conv_forward_rows_planar takes a convolution (NULL: this ISA has no planar path).
    int (*conv_planar_applies)(const dnal_conv *);
    /// dnal_conv_forward_rows with planar input (DNAL_PLANAR_IN: x[n][c][h][w]) and/or output
    /// (DNAL_PLANAR_OUT, not accumulated), for the intermediate of a conv pair.
    void (*conv_forward_rows_planar)(const dnal_conv *, const float *, const float *, const float *, float *, int, int,
                                     int, float *, int);
    /// Whether a chain can run this conv (NULL: this ISA has no chain).
    int (*conv_chain_takes)(const dnal_conv *);
    /// Floats a chain keeps per conv for the whole call (its transformed filters; may be 0).
    size_t (*conv_chain_filter_floats)(const dnal_conv *);
    /// Trunk images [n_begin, n_end) of dnal_conv_chain_forward_images, the per-call filters at
    /// tile + the last argument (NULL: this ISA has no chain).
    void (*conv_chain_images)(const dnal_chain_block *, int, int, float *, int, int, float *, size_t);
    /// Whether a chain these convs all take gains over running its blocks one by one (blocks and
    /// their count; the maps' sizes are checked before).
    int (*conv_chain_pays)(const dnal_chain_block *, int);
    /// The batch-norm passes of a training step (include/dnal_pointwise.h).
    void (*channel_sum)(const float *, ptrdiff_t, int, double *);
    void (*channel_moments)(const float *, ptrdiff_t, int, double *, double *);
    void (*channel_affine_act)(const float *, ptrdiff_t, int, const float *, const float *, int, float *, int);
    void (*fused_bn_reduce)(const float *, const float *, ptrdiff_t, int, const float *, const float *, int, double *,
                            double *);
    void (*fused_bn_backward)(const float *, const float *, ptrdiff_t, int, const float *, const float *, int,
                              const float *, const float *, const float *, const float *, const float *, float *, int);
    /// dnal_maxpool_forward's 2x2, stride-2 windows inside the map (NULL: pool.c's portable loop).
    void (*maxpool_2x2)(const dnal_pool *, const float *, float *, int *, int, int);
    /// Output channels per weight panel of the general microkernel (two vectors), 0 without vectors.
    int panel_width;
} dnal_kernel_table;

/// The table of the ISA in use for this thread (dispatch.c).
const dnal_kernel_table *dnal_table(void);

/// Layout bits of conv_forward_rows_planar.
#define DNAL_PLANAR_IN 1
#define DNAL_PLANAR_OUT 2

/// Planar tensors (a conv pair's intermediate, a chain's trunk image) hold each channel as a
/// plane of (h + 4) x (w + 4) floats: the map with a border of 2 zero rows and columns, so a 3x3
/// or 5x5 convolution reads its rows in place, with no padded copy. Maps whose rows are shorter
/// than a vector (8x8, 4x4: `packed`) have no side border: their rows follow one another, with 2
/// zero rows above and below and 16 zero floats beyond those, so a vector spans whole rows and a
/// tap is one offset (lanes whose column falls off the map are masked off).
#define DNAL_PLANAR_BORDER 2

/// Whether planes of this width are packed (no side border).
static inline int dnal_planar_packed(int w) { return w < 16; }

/// Floats from one row of a plane to the next.
static inline ptrdiff_t dnal_planar_row(int w) { return (ptrdiff_t)w + (dnal_planar_packed(w) ? 0 : 2 * DNAL_PLANAR_BORDER); }

/// Where pixel (0, 0) sits in its plane.
static inline ptrdiff_t dnal_planar_origin(int w)
{
    return dnal_planar_packed(w) ? 16 + DNAL_PLANAR_BORDER * (ptrdiff_t)w : DNAL_PLANAR_BORDER * (dnal_planar_row(w) + 1);
}

/// Floats from one plane to the next: the bordered map, room for reads past its last row (the
/// lanes beyond a row's end, which no kept output uses), rounded to 16 floats and moved off a
/// multiple of 4 KB (planes that far apart alias in the caches).
static inline ptrdiff_t dnal_planar_plane(int h, int w)
{
    const ptrdiff_t rows = (ptrdiff_t)(h + 2 * DNAL_PLANAR_BORDER) * dnal_planar_row(w);
    const ptrdiff_t floats = (rows + (dnal_planar_packed(w) ? 32 : 48) + 15) / 16 * 16;
    return floats % 1024 == 0 ? floats + 16 : floats;
}

/// Floats of a chain tile before its narrow-path scratch: the planar trunk image and the widest
/// planar intermediate.
static inline size_t dnal_chain_planes_floats(const dnal_chain_block *blocks, int count, int width)
{
    const ptrdiff_t plane = dnal_planar_plane(blocks[0].d2.hout, blocks[0].d2.wout);
    int mid = 0;
    for (int k = 0; k < count; k++) mid = blocks[k].d1.cout > mid ? blocks[k].d1.cout : mid;
    return (size_t)plane * (size_t)(width + mid);
}

/// The portable channel gather and scatter-add (channels_portable.c): the scalar and AVX2 entries, the
/// AVX-512 kernels' fallback and the reference their tests compare with. (The residual sum's
/// passes below have AVX2 twins in channels_avx2.inc.)
void dnal_gather_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);
void dnal_scatter_add_channels_portable(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);

/// The portable batch-norm passes (batchnorm.c): the scalar entries and the reference the
/// vectorised ones (pointwise_simd.inc) are tested against. Arguments as in dnal_pointwise.h.
void dnal_channel_sum_portable(const float *x, ptrdiff_t pixels, int c, double *sum);
void dnal_channel_moments_portable(const float *x, ptrdiff_t pixels, int c, double *mean, double *m2);

/// Adds nb rows of mean bm and centred sum of squares bm2 to the n rows before them (*mean,
/// *m2), in double: Chan, Golub and LeVeque's pairwise update. The one place it is written:
/// blocks within a piece (dnal_moments_merge) and pieces (dnal_moments_combine) both use it.
static inline void dnal_moments_add(double n, double nb, double bm, double bm2, double *mean, double *m2)
{
    const double delta = bm - *mean;
    *mean += delta * nb / (n + nb);
    *m2 += bm2 + delta * delta * n * nb / (n + nb);
}

/// Merges a block of nb rows (its float mean mb, and the sums a1 of x - mb and a2 of its squares)
/// into the mean and centred sum of squares of the n rows before it, in double: the block's own
/// mean and centred squares corrected by its residual a1, then the pairwise update. Shared by
/// every ISA's dnal_channel_moments, so they agree bit for bit.
static inline void dnal_moments_merge(int c, double n, double nb, const float *mb, const float *a1, const float *a2,
                                      double *mean, double *m2)
{
    for (int i = 0; i < c; i++) {
        const double r = (double)a1[i];
        const double block_m2 = (double)a2[i] - r * r / nb;
        dnal_moments_add(n, nb, (double)mb[i] + r / nb, block_m2 < 0 ? 0 : block_m2, mean + i, m2 + i);
    }
}
/// The two reductions over rows that pointwise_flat.h walks flat, in periods of `period` floats
/// (dnal_pw_flat_period(c), not 0): batchnorm_flat.c, which the portable entries above call for
/// those rows.
void dnal_channel_moments_flat_portable(const float *x, ptrdiff_t pixels, int c, int period, double *mean, double *m2);
void dnal_fused_bn_reduce_flat_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, int period,
                                        const float *scale, const float *shift, int act, double *a_sum, double *ax_sum);
void dnal_channel_affine_act_portable(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift,
                                      int act, float *y, int stream);
void dnal_fused_bn_reduce_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                                   const float *shift, int act, double *a_sum, double *ax_sum);
void dnal_fused_bn_backward_portable(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                                     const float *shift, int act, const float *g, const float *mean, const float *k1,
                                     const float *k2, const float *k3, float *dx, int stream);
void dnal_sum_scatter_act_portable(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n,
                                   ptrdiff_t pixels, float *y, int ldy, int width, int act, float *g, int ldg,
                                   const int *gindex, int ng, uint16_t *mask);
void dnal_slope_mask_portable(const float *y, ptrdiff_t pixels, int width, int act, uint16_t *mask);
void dnal_sum_scatter_act_backward_portable(const float *dy, const uint16_t *mask, int width, const float *pending, int ldp,
                                            const int *pindex, int np, ptrdiff_t pixels, int act, float *dsum,
                                            float *g, int ldg, const int *gindex, int ng);

extern const dnal_kernel_table dnal_table_scalar;

/// Packed weight rows this many floats apart or more (2 KB) are read as contiguous panels: they
/// fall in few of L1's 64 sets and beyond the prefetcher's stride, so each tile re-read the
/// panel from L2 on misses (conv.inc's FN(pixels), dnal_conv_pack_panels).
#define DNAL_PANEL_LDW 512

/// Output pixels per im2col block for maps whose rows are too short for a full register tile.
#define DNAL_IM2COL_PIXELS 96

/// Whether forward rows are computed from im2col columns spanning rows: outputs narrower than
/// half a tile would leave the microkernel latency-bound (VGG's 4x4 and 2x2 maps).
static inline int dnal_uses_im2col(const dnal_conv *d)
{
    return d->wout < 8 && d->kh * d->kw > 1;
}

/// Packed weight bytes above which the forward gathers im2col columns even for long rows: one
/// output row (8 to 16 pixels) is too little work to pay for streaming such weights from L3, so
/// a block of DNAL_IM2COL_PIXELS pixels shares each pass over them (VGG's 256-channel 8x8 layers).
#define DNAL_HEAVY_WEIGHT_BYTES (1024 * 1024)

/// Packed weight bytes of the forward (and backward-data) convolution.
static inline size_t dnal_packed_weight_bytes(const dnal_conv *d)
{
    return sizeof(float) * (size_t)(d->kh * d->kw) * (size_t)d->cin * (size_t)d->ldw;
}

/// Whether the forward (and backward-data) pass reads im2col columns rather than input rows (a
/// superset of dnal_uses_im2col, which the weight gradient follows).
static inline int dnal_forward_uses_im2col(const dnal_conv *d)
{
    return dnal_uses_im2col(d) || (d->kh * d->kw > 1 && dnal_packed_weight_bytes(d) > DNAL_HEAVY_WEIGHT_BYTES);
}

/// Output rows the weight-gradient kernel treats together (same image), so that its register
/// tile is loaded and stored once per ~128 output pixels rather than once per row.
static inline int dnal_weight_rows_per_block(const dnal_conv *d)
{
    int rows = (128 + d->wout - 1) / d->wout;
    return rows < 1 ? 1 : (rows > d->hout ? d->hout : rows);
}

/// Floats of the weight gradient's band: the padded input rows one block of output rows reads.
static inline size_t dnal_weight_band_floats(const dnal_conv *d)
{
    const size_t band_width = (size_t)((d->wout - 1) * d->stride + d->kw);
    const size_t rows = (size_t)((dnal_weight_rows_per_block(d) - 1) * d->stride + d->kh);
    return (rows > (size_t)d->kh ? rows : (size_t)d->kh) * band_width * (size_t)d->cin;
}

/// Taps of a kernel row (kw x input channels) up to which the weight gradient may put them in
/// the lanes, staging its sums after the band (conv_weight_narrow.inc).
#define DNAL_NARROW_WEIGHT_TAPS 64

/// Whether the narrow weight gradient takes groups of 4 output rows through Winograd F(3, 4)
/// down the columns (conv_weight_winograd.inc): 3 kernel rows, stride 1, no dilation, and blocks
/// of at least 4 rows.
static inline int dnal_weight_column_winograd(const dnal_conv *d)
{
    return d->kh == 3 && d->stride == 1 && d->dilate == 1 && dnal_weight_rows_per_block(d) >= 4;
}

/// Floats of one block's transformed rows in either F(3, 4) weight gradient: per group of 4
/// output rows, 6 input rows of the band's width x cin and 6 output-gradient rows of wout x cout.
static inline size_t dnal_weight_winograd_rows_floats(const dnal_conv *d, int groups)
{
    const size_t band_width = (size_t)d->wout - 1 + (size_t)d->kw;
    return 6 * (size_t)groups * (band_width * (size_t)d->cin + (size_t)d->wout * (size_t)d->cout);
}

/// Whether the output-channel tile of the weight gradient (conv_weight.inc, where the narrow
/// one does not run) takes groups of 4 output rows through the same F(3, 4): dense pixels (x and
/// dy packed), maps of 8 columns or more (the row-block path) and 8 x 8 channels or more.
static inline int dnal_weight_tile_winograd(const dnal_conv *d)
{
    return dnal_weight_column_winograd(d) && d->ldx == d->cin && d->ldy == d->cout && d->wout >= 8 && d->cin >= 8 &&
           d->cout >= 8;
}

/// Output rows per block of that path: at least 16 (4 groups), so each tile of sums is loaded
/// and stored once per 4 groups' pixels, not per group's.
static inline int dnal_weight_tile_winograd_block(const dnal_conv *d)
{
    const int rows = dnal_weight_rows_per_block(d);
    return rows >= 16 || rows >= d->hout ? rows : (16 < d->hout ? 16 : d->hout);
}

/// Floats that path takes: the 6 product rows' sums (kw taps of cin x ldw each), and one
/// block's transformed input rows and output-gradient rows.
static inline size_t dnal_weight_tile_winograd_floats(const dnal_conv *d)
{
    if (!dnal_weight_tile_winograd(d)) return 0;
    return 6 * (size_t)d->kw * (size_t)d->cin * (size_t)d->ldw +
           dnal_weight_winograd_rows_floats(d, dnal_weight_tile_winograd_block(d) / 4);
}

/// Floats of that stage (any ISA's vectors: 16 lanes round up at least as far as 8), or 0: the
/// kernel rows' sums, and with column Winograd its 6 products' sums and one block's transformed
/// input rows and output-gradient rows.
static inline size_t dnal_weight_stage_floats(const dnal_conv *d)
{
    const size_t taps = (size_t)d->kw * (size_t)d->cin;
    if (taps > DNAL_NARROW_WEIGHT_TAPS) return 0;
    const size_t lanes = (taps + 15) / 16 * 16;
    if (!dnal_weight_column_winograd(d)) return (size_t)d->cout * (size_t)d->kh * lanes;
    return (size_t)d->cout * (size_t)(d->kh + 6) * lanes +
           dnal_weight_winograd_rows_floats(d, dnal_weight_rows_per_block(d) / 4);
}

/// Bytes of transformed weights above which a Winograd variant is not used: each pass of tiles
/// streams them all (512 -> 512 channels at 8x8 with F(2x2, 3x3), 16 MB, ran no faster than the
/// direct kernel).
#define DNAL_WINOGRAD_WEIGHT_BYTES (4 * 1024 * 1024)

/// The output tile Winograd computes `d` in, whatever the path: 4 (F(4x4, 3x3), 36 products per
/// 16 outputs) where its transformed weights fit DNAL_WINOGRAD_WEIGHT_BYTES, else 2 (F(2x2, 3x3),
/// 16 per 4) where those fit, else 0 (direct). Only for 3x3, stride 1, padding 1, the map size
/// kept, rows of 8 pixels or more and at least 19 x 19 input-by-output channels. Measured one
/// thread, batch 64, against the direct kernel at up to 94% of peak (docs/winograd.md):
/// - on 4x4 and 2x2 maps most taps fall in the padding, which the direct convolution skips and
///   an input block does not: the saving shrinks to 1.6x and to nothing;
/// - the transforms cost per channel, the products per channel pair: 16 -> 16 channels at 32x32
///   ran 0.7x with F(2x2, 3x3) and 1.0x with F(4x4, 3x3); from 32 -> 32 up, 1.0-1.7x and 1.4-2.1x;
/// - the layers pruning leaves between (a direct kernel there fills few of its lanes): stacks of
///   19 -> 19 at 8x8 and 19 <-> 38 or 16 <-> 32 at 16x16 took 0.71-0.79 of the direct time in
///   inference and 0.79-0.95 in training, on AVX-512 and AVX2 (two threads, batch 128);
/// - 256 -> 256 at 8x8 ran 1.3x with F(4x4, 3x3) (9.4 MB of weights) and 1.6x with F(2x2, 3x3).
static inline int dnal_winograd_tile(const dnal_conv *d)
{
    if (!(d->kh == 3 && d->kw == 3 && d->stride == 1 && d->dilate == 1 && d->pad_top == 1 && d->pad_left == 1 &&
          d->hout == d->hin && d->wout == d->win && d->wout >= 8 && d->hout >= 2 && d->cin * d->cout >= 19 * 19)) {
        return 0;
    }
    const size_t panel = sizeof(float) * (size_t)d->cin * (size_t)d->ldw;
    return 36 * panel <= DNAL_WINOGRAD_WEIGHT_BYTES ? 4 : (16 * panel <= DNAL_WINOGRAD_WEIGHT_BYTES ? 2 : 0);
}

/// u = G g for one filter row or column g of 3 taps (winograd.c's 2-D weight transform, and
/// the column Winograd's filters with tile 4): F(2x2, 3x3)'s G = [1 0 0; 1/2 1/2 1/2;
/// 1/2 -1/2 1/2; 0 0 1], or F(4x4, 3x3)'s [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
/// 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
static inline __attribute__((always_inline)) void dnal_winograd_filter_transform(const int tile, const float g[3], float *u)
{
    if (tile == 2) {
        u[0] = g[0];
        u[1] = 0.5f * (g[0] + g[1] + g[2]);
        u[2] = 0.5f * (g[0] - g[1] + g[2]);
        u[3] = g[2];
        return;
    }
    u[0] = 0.25f * g[0];
    u[1] = -(g[0] + g[1] + g[2]) / 6.0f;
    u[2] = -(g[0] - g[1] + g[2]) / 6.0f;
    u[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f;
    u[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;
    u[5] = g[2];
}

/// Elements (products) per tile of Winograd with output tile `tile`: (tile + 2)^2.
static inline int dnal_winograd_elements(int tile) { return (tile + 2) * (tile + 2); }

/// Bytes the transformed inputs and products of one Winograd pass may hold (elements x tiles x
/// (cin + ldw) floats): they stay in L2 while each product reads its weight panel.
#define DNAL_WINOGRAD_PASS_BYTES (1024 * 1024)

/// Output tiles of one Winograd pass: as many as fit DNAL_WINOGRAD_PASS_BYTES, so a weight panel
/// serves many tiles, at most 96 (four register tiles of 24), at least 24.
static inline int dnal_winograd_tiles(const dnal_conv *d)
{
    const size_t per_tile = sizeof(float) * (size_t)dnal_winograd_elements(dnal_winograd_tile(d)) * (size_t)(d->cin + d->ldw);
    const size_t tiles = DNAL_WINOGRAD_PASS_BYTES / per_tile;
    return tiles < 24 ? 24 : (tiles > 96 ? 96 : (int)tiles);
}

/// Scratch floats of a Winograd pass: transformed inputs, products, and a row of zeros (the
/// padding every border tile reads).
static inline size_t dnal_winograd_scratch_floats(const dnal_conv *d)
{
    const size_t elements = (size_t)dnal_winograd_elements(dnal_winograd_tile(d));
    return elements * (size_t)dnal_winograd_tiles(d) * (size_t)(d->cin + d->ldw) + (size_t)d->cin + 64;
}

#if defined(__x86_64__)
extern const dnal_kernel_table dnal_table_avx2;
extern const dnal_kernel_table dnal_table_avx512;
/// Scratch floats of the AVX-512 narrow-layer forward path (conv_narrow_avx512.inc).
size_t dnal_avx512_narrow_scratch_floats(const dnal_conv *d);
/// Scratch floats of the AVX2 narrow-layer forward path (conv_narrow_avx2.inc; 0 where it does not run).
size_t dnal_avx2_narrow_scratch_floats(const dnal_conv *d);
/// Whether the AVX-512 narrow path runs d as column Winograd (conv_narrow_winograd_avx512.inc).
int dnal_avx512_column_winograd_applies(const dnal_conv *d);
/// Whether the AVX2 narrow path runs d's bands of 4 rows as column Winograd (conv_narrow_winograd_avx2.inc).
int dnal_avx2_column_winograd_applies(const dnal_conv *d);
#endif
#endif
