// dnalc's fast CPU kernels: plain C over pointers and sizes, NHWC activations, float32.
//
// Each kernel exists in three instruction-set variants (AVX-512, AVX2+FMA, portable scalar)
// compiled from one source, picked at run time by dnal_isa(); results agree to rounding.
// Kernels never see graphs; DNALKernels (Swift) wraps them, splits work over threads and holds
// the scalar reference twins the tests compare them with.
#ifndef DNAL_KERNELS_H
#define DNAL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set paths, fastest first.
typedef enum { DNAL_ISA_AVX512 = 0, DNAL_ISA_AVX2 = 1, DNAL_ISA_SCALAR = 2 } dnal_isa_t;

/// The path in use: the best the CPU supports, unless dnal_set_isa chose another.
dnal_isa_t dnal_isa(void);
/// The best path this CPU supports.
dnal_isa_t dnal_best_isa(void);
/// Chooses a path; returns 0, or -1 if the CPU cannot run it (the path is then unchanged).
int dnal_set_isa(dnal_isa_t isa);
/// Overrides the path for kernels called on this thread (-1 clears the override). The caller
/// must only choose a path the CPU supports (see dnal_best_isa).
void dnal_set_thread_isa(int isa);
/// "avx512", "avx2" or "scalar".
const char *dnal_isa_name(dnal_isa_t isa);

/// Output channels are processed in blocks of this many lanes; packed weights pad Cout to it.
#define DNAL_CHANNEL_BLOCK 16

/// A dense (or one group of a grouped) 2-D convolution over NHWC tensors, seen as rows:
/// row i = (n, oh) with n = i / hout, oh = i % hout. The input may be virtually dilated by
/// `dilate` (zeros inserted between pixels, for transposed convolution) and padded.
typedef struct {
    int n;                 ///< batch
    int hin, win;          ///< input height and width (before dilation and padding)
    int cin;               ///< input channels read
    int ldx;               ///< floats between consecutive input pixels (>= cin)
    int hout, wout;        ///< output height and width
    int cout;              ///< output channels written
    int ldy;               ///< floats between consecutive output pixels (>= cout)
    int kh, kw;            ///< kernel size
    int stride;            ///< stride over the (dilated, padded) input
    int pad_top, pad_left; ///< zero padding before the first input row / column
    int dilate;            ///< 1, or s to insert s-1 zeros between input pixels
    int ldw;               ///< packed weight row length: a multiple of DNAL_CHANNEL_BLOCK, >= cout
    int act;               ///< activation applied as outputs are stored: 0 none, 1 relu, 2 relu6 (forward only)
    /// Forward rows store y past the caches (a hint, as dnal_channel_affine_act's `stream`; the
    /// general kernel takes it where ldy and y keep whole vectors on 64-byte boundaries).
    int stream;
    /// The Winograd transform of the packed weights (dnal_conv_winograd_weights), or NULL. When
    /// set on a convolution dnal_conv_winograd_applies takes, the forward rows are computed from
    /// it instead of from the packed weights.
    const float *winograd;
    /// The packed weights re-laid as column panels (dnal_conv_pack_panels), or NULL: where set,
    /// `panel_width` matches the path in use and a kernel is given the packed weights at
    /// `panels_of`, it reads each panel in place instead of copying it out of rows `ldw` apart.
    const float *panels;
    const float *panels_of;
    int panel_width;
} dnal_conv;

/// Floats of per-thread scratch dnal_conv_forward_rows and dnal_conv_backward_weight_rows need.
size_t dnal_conv_scratch_floats(const dnal_conv *d);

/// y[row] (+)= conv(x, w) (+ bias) for rows [row_begin, row_end).
/// w is packed: [kh][kw][cin][ldw], zero beyond cout. bias may be NULL; accumulate adds into y.
void dnal_conv_forward_rows(const dnal_conv *d, const float *x, const float *w, const float *bias,
                            float *y, int row_begin, int row_end, int accumulate, float *scratch);

/// The output tile (4: F(4x4, 3x3), 2: F(2x2, 3x3)) the forward rows of `d` run Winograd with
/// when given its transformed weights, or 0: 3x3, stride 1, padding 1, the map size kept, rows of
/// 8 pixels or more, inputs x outputs of at least 19 x 19, transformed weights of at most 4 MB
/// (F(4x4, 3x3) first), and not a layer the path in use runs better another way (its narrow
/// layers: AVX-512's, and AVX2's with up to 24 inputs).
/// Depends only on the geometry and the path, not on the batch or the pixel strides.
int dnal_conv_winograd_applies(const dnal_conv *d);

/// Whether the path in use runs `d` as column Winograd (F(4, 3) down the columns only;
/// docs/winograd.md). AVX-512: whole images of its narrow layers (and 16-output ones where a
/// chain reads and writes them planar), 3x3, stride 1, padding 1, the map size kept, a height of
/// a multiple of 4, rows of a multiple of 16 pixels and at least 4 x 4 channels; partial images
/// at either end of a row range stay direct. AVX2: every band of 4 output rows within a row
/// range and an image, of its narrow layers with a 3-row kernel, at least 4 inputs and 8
/// outputs (its planar chains take the same bands of any such conv on rows of 16 pixels or more).
int dnal_conv_column_winograd_applies(const dnal_conv *d);

/// Floats of dnal_conv_winograd_weights' output: (tile + 2)^2 panels of d->cin x d->ldw.
size_t dnal_conv_winograd_weight_floats(const dnal_conv *d);

/// u[e][ic][ldw] = G g G^T for each input channel and output lane, from weights packed as for
/// dnal_conv_forward_rows (w[3][3][cin][ldw]), with the tile dnal_conv_winograd_applies gives;
/// e = (tile + 2) * i + j indexes the result.
void dnal_conv_winograd_weights(const dnal_conv *d, const float *w, float *u);

/// dnal_conv_winograd_weights for input channels [ic_begin, ic_end) only (workers split them).
void dnal_conv_winograd_weights_channels(const dnal_conv *d, const float *w, float *u, int ic_begin, int ic_end);

/// Inference fusions of a dense convolution with the channel maps and the residual sum around it,
/// one image at a time so that the intermediate tiles stay in cache. See dnal_conv_forward_images.
typedef struct {
    /// Input channel map: when not NULL the conv reads x[pixel * gather_ld + gather[k]] as its
    /// channel k (k < cin), a pruned block reading part of the trunk; d->ldx is then ignored.
    const int *gather;
    int gather_ld;
    /// Residual store: when set, y is a trunk of `width` channels per pixel and becomes
    /// act(y + the conv's output scattered to channels scatter[k]) over all `width` channels
    /// (scatter NULL: the conv writes every trunk channel in order, cout == width). d->ldy and
    /// d->act are then ignored.
    int residual;
    const int *scatter;
    int width;
    int act;
} dnal_conv_fusion;

/// Floats of the per-thread tile dnal_conv_forward_images needs besides the conv scratch.
size_t dnal_conv_fusion_tile_floats(const dnal_conv *d, const dnal_conv_fusion *f);

/// The convolution of images [n_begin, n_end) with the fusions of f (either may be off):
/// gathered inputs are copied image by image into `tile`, scattered outputs are computed there
/// and added into the trunk in one pass.
void dnal_conv_forward_images(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w,
                              const float *bias, float *y, int n_begin, int n_end, float *scratch, float *tile);

/// Two convolutions in a row, dnal_conv_pair_group's images at a time (one where the maps are
/// large): the first's output (d1->cout channels per pixel, d2's input) lives only in `mid`,
/// one group at a time, so it and the trunk the second one adds into stay in cache between
/// them. `tile1` and `tile2` are each conv's fusion tile; all three hold a group's images.
void dnal_conv_pair_forward_images(const dnal_conv *d1, const dnal_conv_fusion *f1, const float *w1, const float *b1,
                                   const dnal_conv *d2, const dnal_conv_fusion *f2, const float *w2, const float *b2,
                                   const float *x, float *y, int n_begin, int n_end, float *scratch, float *tile1,
                                   float *mid, float *tile2);

/// Images dnal_conv_pair_forward_images runs at a time (tile1, mid and tile2 must hold that
/// many): more than one where a conv runs 2-D Winograd on maps too small for one image's tiles
/// to fill a pass, and the intermediate is not planar.
int dnal_conv_pair_group(const dnal_conv *d1, const dnal_conv_fusion *f1, const dnal_conv *d2, const dnal_conv_fusion *f2);

/// Floats of `mid` for dnal_conv_pair_forward_images: one image of the first conv's output, in
/// either of the layouts the pair may keep it in.
size_t dnal_conv_pair_mid_floats(const dnal_conv *d1);

/// One residual block of a chain (dnal_conv_chain_forward_images): conv d1 reads the trunk
/// (through f1's gather, or all of it) and conv d2 reads d1's output and adds into the trunk
/// (f2: residual, through its scatter or into every channel, then f2.act over every channel).
/// Weights are packed as for dnal_conv_forward_rows; biases may be NULL.
typedef struct {
    dnal_conv d1, d2;
    dnal_conv_fusion f1, f2;
    const float *w1, *b1, *w2, *b2;
} dnal_chain_block;

/// Whether dnal_conv_chain_forward_images can run these blocks on a trunk of `width` channels
/// with the kernels in use (stride-1 convs the pixel-vectorised path takes, maps within the
/// trunk). Otherwise run them one by one with dnal_conv_pair_forward_images.
int dnal_conv_chain_applies(const dnal_chain_block *blocks, int count, int width);

/// Floats of the per-thread tile dnal_conv_chain_forward_images needs.
size_t dnal_conv_chain_tile_floats(const dnal_chain_block *blocks, int count, int width);

/// Where a chain's trunk starts, if not from the trunk tensor's contents: channel k of `x`
/// (`ldx` floats per pixel, `count` channels) at trunk channel index[k], zeros elsewhere (a
/// stage's first block adding into the pruned stem's output, scattered to the trunk's width).
typedef struct {
    const float *x;
    int ldx, count;
    const int *index;
    int group;  ///< images written ahead of the chain at a time; 0: what fits half a 1 MB L2
} dnal_chain_start;

/// Consecutive residual blocks on one trunk (NHWC, `width` channels per pixel, updated in place),
/// image by image for images [n_begin, n_end): each trunk image is turned planar (one H x W plane
/// per channel) once, every block then reads its channels and adds its outputs plane by plane
/// with no gather, scatter or transpose, and the image is turned back once at the end. With
/// `start` (or NULL), the trunk images are first written from it, a few at a time just before
/// the chain reads them, so they are read back from cache rather than memory.
void dnal_conv_chain_forward_images(const dnal_chain_block *blocks, int count, int width, float *trunk, int n_begin,
                                    int n_end, float *tile, const dnal_chain_start *start);

/// dw[kh][kw][cin][ldw] += sum over rows [row_begin, row_end) of x-patch (outer) dy, and
/// dbias[cout] += sum of dy (if dbias is not NULL). dy has the output's layout (ldy).
void dnal_conv_backward_weight_rows(const dnal_conv *d, const float *x, const float *dy, float *dw,
                                    float *dbias, int row_begin, int row_end, float *scratch);

/// Packs taps [tap_begin, tap_end) (tap kh' * kw + kw' of `out`) of canonical conv weights
/// w[kh][kw][cin_g][cout] (cout = all groups' outputs) of group g into out[kh][kw][cin_g][ldw]
/// (zero-padded), each output channel o multiplied by scale[o] when `scale` is not NULL (a batch
/// norm folded into the conv for inference). With `transpose_flip` (scale ignored), packs the
/// weights of the backward-data convolution instead: out[kh'][kw'][cout_g][ldw'] =
/// w[KH-1-kh'][KW-1-kw'][.][.] with input and output channels swapped (ldw' >= cin_g). Callers
/// split a large pack over threads by taps.
void dnal_pack_conv_weights_taps(const float *w, int kh, int kw, int cin_g, int cout, int groups, int g, int transpose_flip,
                                 int ldw, const float *scale, int tap_begin, int tap_end, float *out);

/// Output channels per column panel the path in use would read `d`'s packed weights in, or 0
/// where it reads them in place: their rows are close enough (under 512 floats apart) for the
/// caches, or the path has no vectors. Depends on the path, cout and ldw only.
int dnal_conv_panel_width(const dnal_conv *d);

/// Whether the forward rows of `d` run from im2col columns in blocks of pixels (a map under 8
/// pixels wide) with packed weights over 1 MB: each block then streams its taps' weights once, so
/// a caller that runs a few images at a time (a conv and its pool) should give it many.
int dnal_conv_blocks_stream_heavy_weights(const dnal_conv *d);

/// Floats dnal_conv_pack_panels writes for `d` at panel width `width`: every row of the packed
/// weights (kh * kw * cin) in each panel of `width` channels, ldw rounded up to whole panels.
size_t dnal_conv_panel_floats(const dnal_conv *d, int width);

/// Rows [row_begin, row_end) (row = tap * cin + input channel) of weights packed for the forward
/// rows, w[row][ldw], as column panels: panels[p][row][width] = w[row][p * width + lane], zero
/// past ldw. A panel's rows are then contiguous, so the kernels stream it instead of gathering
/// one cache line from each of its rows. Callers split a large pack over threads by rows.
void dnal_conv_pack_panels(const dnal_conv *d, const float *w, int width, int row_begin, int row_end, float *panels);

/// The inverse of packing without transpose, for taps [tap_begin, tap_end):
/// w[kh][kw][cin_g][g*cout_g + o] += packed[kh][kw][cin_g][o].
void dnal_unpack_conv_weights_add_taps(const float *packed, int cin_g, int cout, int groups, int g, int ldw, int tap_begin,
                                       int tap_end, float *w);

/// Depthwise 3-D tensors: NHWC with c channels, one filter per channel, w[kh][kw][c].
typedef struct {
    int n, hin, win, c, hout, wout, kh, kw, stride, pad_top, pad_left;
    int act; ///< activation applied as outputs are stored (forward): 0 none, 1 relu, 2 relu6
    int stream; ///< store the output (y, or backward-data dx) past the caches (a hint, as dnal_channel_affine_act's `stream`)
} dnal_dwconv;

/// y = depthwise conv(x, w) (+ bias) for images [n_begin, n_end).
void dnal_dwconv_forward(const dnal_dwconv *d, const float *x, const float *w, const float *bias, float *y,
                         int n_begin, int n_end);
/// dx = transposed depthwise conv(dy, w) for images [n_begin, n_end) (dx is overwritten).
void dnal_dwconv_backward_data(const dnal_dwconv *d, const float *dy, const float *w, float *dx,
                               int n_begin, int n_end);
/// dw[kh][kw][c] += sum_x*dy and dbias[c] += sum dy over images [n_begin, n_end).
void dnal_dwconv_backward_weight(const dnal_dwconv *d, const float *x, const float *dy, float *dw, float *dbias,
                                 int n_begin, int n_end);

/// Images dnal_inverted_residual_forward_images runs together: as many as keep their expanded
/// and depthwise outputs within about 1 MB (at least 1).
int dnal_inverted_residual_group(const dnal_conv *expand, const dnal_dwconv *dw);

/// Floats of `mid` for dnal_inverted_residual_forward_images: a group of images of the
/// expansion's output and of the depthwise conv's.
size_t dnal_inverted_residual_mid_floats(const dnal_conv *expand, const dnal_dwconv *dw);

/// An inverted-residual block (MobileNetV2), a group of images at a time: a dense conv d1 (the expansion,
/// through f1's gather when set), a depthwise conv dd reading all of its output, and a dense conv
/// d3 (the projection) reading all of that, writing y or adding into the trunk (f3). The expanded
/// and filtered images live only in `mid`, so neither exists for the whole batch. `scratch` is
/// sized for d1 and d3 described for the whole batch. d1 and d3 are
/// each described for the whole batch with dense outputs (d1->ldy == d1->cout); dd's n is
/// ignored; `tile1`, `tile3` are the convs' fusion tiles.
void dnal_inverted_residual_forward_images(const dnal_conv *d1, const dnal_conv_fusion *f1, const float *w1,
                                           const float *b1, const dnal_dwconv *dd, const float *wd, const float *bd,
                                           const dnal_conv *d3, const dnal_conv_fusion *f3, const float *w3,
                                           const float *b3, const float *x, float *y, int n_begin, int n_end,
                                           float *scratch, float *tile1, float *mid, float *tile3);

/// Runs independent chains of `iterations` dependent FMAs on the current path (a peak throughput
/// probe: as many chains as the path's vector registers hold); returns a value that depends on
/// them all.
float dnal_fma_chains(long iterations);
/// Floating-point operations one iteration of dnal_fma_chains performs (chains x lanes x 2).
int dnal_fma_flops_per_iteration(void);

#ifdef __cplusplus
}
#endif
#endif
