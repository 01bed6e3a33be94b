// Picks the instruction-set path once (the best the CPU and OS support, or DNALC_ISA) and routes
// the public entry points through its table.
#include <stdlib.h>
#include <string.h>
#include "kernel_table.h"
#include "include/dnal_pointwise.h"

static int dnal_supports(dnal_isa_t isa)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    switch (isa) {
    case DNAL_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
    case DNAL_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case DNAL_ISA_SCALAR:
        return 1;
    }
    return 0;
#else
    return isa == DNAL_ISA_SCALAR;
#endif
}

dnal_isa_t dnal_best_isa(void)
{
    if (dnal_supports(DNAL_ISA_AVX512)) return DNAL_ISA_AVX512;
    if (dnal_supports(DNAL_ISA_AVX2)) return DNAL_ISA_AVX2;
    return DNAL_ISA_SCALAR;
}

static int dnal_current = -1;
/// Per-thread override (-1: none), so one computation can run a chosen path without changing
/// the path of others running at the same time.
static _Thread_local int dnal_thread_isa = -1;

void dnal_set_thread_isa(int isa) { dnal_thread_isa = isa; }

dnal_isa_t dnal_isa(void)
{
    if (dnal_thread_isa >= 0) return (dnal_isa_t)dnal_thread_isa;
    if (dnal_current < 0) {
        dnal_isa_t isa = dnal_best_isa();
        const char *env = getenv("DNALC_ISA");
        if (env) {
            dnal_isa_t wanted = strcmp(env, "scalar") == 0 ? DNAL_ISA_SCALAR
                              : strcmp(env, "avx2") == 0   ? DNAL_ISA_AVX2
                                                           : DNAL_ISA_AVX512;
            if (dnal_supports(wanted)) isa = wanted;
        }
        dnal_current = (int)isa;
    }
    return (dnal_isa_t)dnal_current;
}

int dnal_set_isa(dnal_isa_t isa)
{
    if (!dnal_supports(isa)) return -1;
    dnal_current = (int)isa;
    return 0;
}

const char *dnal_isa_name(dnal_isa_t isa)
{
    switch (isa) {
    case DNAL_ISA_AVX512: return "avx512";
    case DNAL_ISA_AVX2: return "avx2";
    case DNAL_ISA_SCALAR: return "scalar";
    }
    return "unknown";
}

static const dnal_kernel_table *dnal_table(void)
{
    switch (dnal_isa()) {
#if defined(__x86_64__)
    case DNAL_ISA_AVX512: return &dnal_table_avx512;
    case DNAL_ISA_AVX2: return &dnal_table_avx2;
#endif
    default: return &dnal_table_scalar;
    }
}

size_t dnal_conv_scratch_floats(const dnal_conv *d)
{
    // the forward band covers kh input rows; the weight-gradient band covers a block of rows
    const size_t band_width = (size_t)((d->wout - 1) * d->stride + d->kw);
    const size_t rows = (size_t)((dnal_weight_rows_per_block(d) - 1) * d->stride + d->kh);
    const size_t band = (rows > (size_t)d->kh ? rows : (size_t)d->kh) * band_width * (size_t)d->cin;
    const size_t columns = (size_t)DNAL_IM2COL_PIXELS * (size_t)(d->kh * d->kw) * (size_t)d->cin;
    size_t floats = (dnal_uses_im2col(d) && columns > band ? columns : band) + 64;
#if defined(__x86_64__)
    const size_t narrow = dnal_avx512_narrow_scratch_floats(d) + 64;
    if (narrow > floats) floats = narrow;
#endif
    return floats;
}

void dnal_conv_forward_rows(const dnal_conv *d, const float *x, const float *w, const float *bias, float *y,
                            int row_begin, int row_end, int accumulate, float *scratch)
{
    dnal_table()->conv_forward_rows(d, x, w, bias, y, row_begin, row_end, accumulate, scratch);
}

size_t dnal_conv_fusion_tile_floats(const dnal_conv *d, const dnal_conv_fusion *f)
{
    const size_t in = f->gather ? (size_t)d->hin * (size_t)d->win * (size_t)d->cin : 0;
    const size_t out = f->residual && f->scatter ? (size_t)d->hout * (size_t)d->wout * (size_t)d->cout : 0;
    return in + out + 16;
}

/// All rows of one image (`one`, a batch of one), through the planar narrow path when `layout`
/// asks for one.
static void conv_image(const dnal_conv *one, const float *x, const float *w, const float *bias, float *y, int accumulate,
                       float *scratch, int layout)
{
    if (layout) dnal_table()->conv_forward_rows_planar(one, x, w, bias, y, 0, one->hout, accumulate, scratch, layout);
    else dnal_conv_forward_rows(one, x, w, bias, y, 0, one->hout, accumulate, scratch);
}

/// dnal_conv_forward_images with the conv's own input or output planar per `layout` (neither
/// is then gathered or scattered: the planar tensor is a pair's intermediate).
static void conv_images(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w, const float *bias,
                        float *y, int n_begin, int n_end, float *scratch, float *tile, int layout)
{
    // one image as a batch of one: its input is either x's image or its gathered copy, its
    // output the trunk's image (accumulated in the store) or a tile scattered into it afterwards
    dnal_conv one = *d;
    one.n = 1;
    const ptrdiff_t in_pixels = (ptrdiff_t)d->hin * d->win, out_pixels = (ptrdiff_t)d->hout * d->wout;
    float *in_tile = tile, *out_tile = tile + (f->gather ? in_pixels * d->cin : 0);
    if (f->gather) one.ldx = d->cin;
    if (f->residual) {
        one.act = f->scatter ? 0 : f->act;
        one.ldy = f->scatter ? d->cout : f->width;
    }
    for (int n = n_begin; n < n_end; n++) {
        const float *xin = x + (ptrdiff_t)n * in_pixels * (f->gather ? f->gather_ld : d->ldx);
        if (f->gather) {
            dnal_gather_channels(xin, f->gather_ld, in_pixels, f->gather, d->cin, in_tile, d->cin);
            xin = in_tile;
        }
        if (!f->residual) {
            conv_image(&one, xin, w, bias, y + (ptrdiff_t)n * out_pixels * d->ldy, 0, scratch, layout);
            continue;
        }
        float *trunk = y + (ptrdiff_t)n * out_pixels * f->width;
        if (!f->scatter) {
            conv_image(&one, xin, w, bias, trunk, 1, scratch, layout);
        } else {
            conv_image(&one, xin, w, bias, out_tile, 0, scratch, layout);
            dnal_sum_scatter_act(trunk, f->width, out_tile, d->cout, f->scatter, d->cout, out_pixels, trunk, f->width,
                                 f->width, f->act);
        }
    }
}

void dnal_conv_forward_images(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w,
                              const float *bias, float *y, int n_begin, int n_end, float *scratch, float *tile)
{
    conv_images(d, f, x, w, bias, y, n_begin, n_end, scratch, tile, 0);
}

size_t dnal_conv_pair_mid_floats(const dnal_conv *d1)
{
    const size_t nhwc = (size_t)d1->hout * (size_t)d1->wout * (size_t)d1->cout;
    const size_t planar = (size_t)dnal_planar_plane(d1->hout, d1->wout) * (size_t)d1->cout;
    return planar > nhwc ? planar : nhwc;
}

void dnal_conv_pair_forward_images(const dnal_conv *d1, const dnal_conv_fusion *f1, const float *w1, const float *b1,
                                   const dnal_conv *d2, const dnal_conv_fusion *f2, const float *w2, const float *b2,
                                   const float *x, float *y, int n_begin, int n_end, float *scratch, float *tile1,
                                   float *mid, float *tile2)
{
    const ptrdiff_t in1 = (ptrdiff_t)d1->hin * d1->win * (f1->gather ? f1->gather_ld : d1->ldx);
    const ptrdiff_t out2 = (ptrdiff_t)d2->hout * d2->wout * (f2->residual ? f2->width : d2->ldy);
    // where both convs take the narrow path, the intermediate is kept planar: the first conv's
    // accumulators are stored as they are and the second copies its rows without a transpose
    const dnal_kernel_table *table = dnal_table();
    const int planar = table->conv_planar_applies && !f1->residual && !f2->gather && table->conv_planar_applies(d1) &&
                       table->conv_planar_applies(d2);
    // a planar intermediate's border: zero once here, never written after
    if (planar) memset(mid, 0, sizeof(float) * dnal_conv_pair_mid_floats(d1));
    for (int n = n_begin; n < n_end; n++) {
        conv_images(d1, f1, x + (ptrdiff_t)n * in1, w1, b1, mid, 0, 1, scratch, tile1, planar ? DNAL_PLANAR_OUT : 0);
        conv_images(d2, f2, mid, w2, b2, y + (ptrdiff_t)n * out2, 0, 1, scratch, tile2, planar ? DNAL_PLANAR_IN : 0);
    }
}

int dnal_conv_chain_applies(const dnal_chain_block *blocks, int count, int width)
{
    const dnal_kernel_table *table = dnal_table();
    if (!table->conv_chain_image || !table->conv_chain_takes || count < 1 || width < 1) return 0;
    const int h = blocks[0].d2.hout, w = blocks[0].d2.wout;
    // on rows shorter than a vector the chain's gain is lanes: where every conv fills whole
    // 16-channel vectors the general kernel, block by block, was as fast or faster (ResNet-56's
    // last stage at 50% kept, 32 channels: 5.3 against 5.6 ms with aligned masks, no faster with
    // random ones)
    int lanes = 0;
    for (int k = 0; k < count; k++) lanes |= blocks[k].d1.cout % 16 != 0 || blocks[k].d2.cout % 16 != 0;
    if (w < 16 && !lanes) return 0;
    for (int k = 0; k < count; k++) {
        const dnal_chain_block *b = &blocks[k];
        // both convs on the pixel-vectorised path, every map within the trunk, every map size kept
        if (!table->conv_chain_takes(&b->d1) || !table->conv_chain_takes(&b->d2)) return 0;
        if (b->d1.hin != h || b->d1.win != w || b->d1.hout != h || b->d1.wout != w) return 0;
        if (b->d2.hin != h || b->d2.win != w || b->d2.hout != h || b->d2.wout != w || b->d2.cin != b->d1.cout) return 0;
        if (b->f1.residual || (b->f1.gather ? b->f1.gather_ld != width : b->d1.cin != width)) return 0;
        if (!b->f2.residual || b->f2.gather || b->f2.width != width || (!b->f2.scatter && b->d2.cout != width)) return 0;
        if (b->f2.act < 0 || b->f2.act > 2) return 0;
        for (int c = 0; b->f1.gather && c < b->d1.cin; c++) {
            if (b->f1.gather[c] < 0 || b->f1.gather[c] >= width) return 0;
        }
        for (int c = 0; b->f2.scatter && c < b->d2.cout; c++) {
            if (b->f2.scatter[c] < 0 || b->f2.scatter[c] >= width) return 0;
        }
    }
    return 1;
}

size_t dnal_conv_chain_tile_floats(const dnal_chain_block *blocks, int count, int width)
{
    size_t scratch = 0;
    for (int k = 0; k < count; k++) {
        const size_t a = dnal_conv_scratch_floats(&blocks[k].d1), b = dnal_conv_scratch_floats(&blocks[k].d2);
        scratch = a > scratch ? a : scratch;
        scratch = b > scratch ? b : scratch;
    }
    return dnal_chain_planes_floats(blocks, count, width) + scratch + 64;
}

void dnal_conv_chain_forward_images(const dnal_chain_block *blocks, int count, int width, float *trunk, int n_begin,
                                    int n_end, float *tile)
{
    const dnal_kernel_table *table = dnal_table();
    const ptrdiff_t image = (ptrdiff_t)blocks[0].d2.hout * blocks[0].d2.wout * width;
    // the planes' borders: zero once here, never written after
    memset(tile, 0, sizeof(float) * dnal_chain_planes_floats(blocks, count, width));
    for (int n = n_begin; n < n_end; n++) table->conv_chain_image(blocks, count, width, trunk + n * image, tile);
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

void dnal_pack_conv_weights(const float *w, int kh, int kw, int cin_g, int cout, int groups, int g,
                            int transpose_flip, int ldw, float *out)
{
    const int cout_g = cout / groups;
    const int rows = transpose_flip ? cout_g : cin_g;
    memset(out, 0, sizeof(float) * (size_t)kh * (size_t)kw * (size_t)rows * (size_t)ldw);
    for (int a = 0; a < kh; a++) {
        for (int b = 0; b < kw; b++) {
            const int sa = transpose_flip ? kh - 1 - a : a, sb = transpose_flip ? kw - 1 - b : b;
            const float *src = w + ((size_t)sa * kw + sb) * cin_g * cout + (size_t)g * cout_g;
            float *dst = out + ((size_t)a * kw + b) * rows * ldw;
            for (int i = 0; i < cin_g; i++) {
                for (int o = 0; o < cout_g; o++) {
                    if (transpose_flip) dst[(size_t)o * ldw + i] = src[(size_t)i * cout + o];
                    else dst[(size_t)i * ldw + o] = src[(size_t)i * cout + o];
                }
            }
        }
    }
}

void dnal_unpack_conv_weights_add(const float *packed, int kh, int kw, int cin_g, int cout, int groups, int g, int ldw,
                                  float *w)
{
    const int cout_g = cout / groups;
    for (int t = 0; t < kh * kw; t++) {
        for (int i = 0; i < cin_g; i++) {
            const float *src = packed + ((size_t)t * cin_g + i) * ldw;
            float *dst = w + ((size_t)t * cin_g + i) * cout + (size_t)g * cout_g;
            for (int o = 0; o < cout_g; o++) dst[o] += src[o];
        }
    }
}

float dnal_fma_chains(long iterations) { return dnal_table()->fma_chains(iterations); }

void dnal_gather_channels(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy)
{
    dnal_table()->gather_channels(x, ldx, pixels, index, n, y, ldy);
}

void dnal_scatter_add_channels(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy)
{
    dnal_table()->scatter_add_channels(x, ldx, pixels, index, n, y, ldy);
}

int dnal_fma_flops_per_iteration(void)
{
    switch (dnal_isa()) {
    case DNAL_ISA_AVX512: return 16 * 16 * 2;
    case DNAL_ISA_AVX2: return 16 * 8 * 2;
    default: return 16 * 2;
    }
}

void dnal_pack_conv_weights_scaled(const float *w, int kh, int kw, int cin_g, int cout, int groups, int g, int ldw,
                                   const float *scale, float *out)
{
    const int cout_g = cout / groups;
    dnal_pack_conv_weights(w, kh, kw, cin_g, cout, groups, g, 0, ldw, out);
    for (size_t r = 0; r < (size_t)kh * kw * cin_g; r++) {
        for (int o = 0; o < cout_g; o++) out[r * ldw + o] *= scale[g * cout_g + o];
    }
}

void dnal_sum_scatter_act(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n, ptrdiff_t pixels,
                          float *y, int ldy, int width, int act)
{
    dnal_table()->sum_scatter_act(trunk, ldt, x, ldx, index, n, pixels, y, ldy, width, act);
}
