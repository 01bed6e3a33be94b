// Inference orchestration of fused convolutions: whole images through the planar narrow path,
// two convs image by image or a few images at a time (a residual block's pair), chains of pairs
// on one trunk, and inverted-residual blocks a group of images at a time.
#include <stdlib.h>
#include <string.h>
#include "kernel_table.h"
#include "include/dnal_pointwise.h"

size_t dnal_conv_fusion_tile_floats(const dnal_conv *d, const dnal_conv_fusion *f)
{
    const size_t in = f->gather ? (size_t)d->hin * (size_t)d->win * (size_t)d->cin : 0;
    const size_t out = f->residual && f->scatter ? (size_t)d->hout * (size_t)d->wout * (size_t)d->cout : 0;
    return in + out + 16;
}

/// All rows of the images of `some` (a batch of one or a few), through the planar narrow path
/// when `layout` asks for one.
static void conv_image(const dnal_conv *some, const float *x, const float *w, const float *bias, float *y, int accumulate,
                       float *scratch, int layout)
{
    const int rows = some->n * some->hout;
    if (layout) dnal_table()->conv_forward_rows_planar(some, x, w, bias, y, 0, rows, accumulate, scratch, layout);
    else dnal_conv_forward_rows(some, x, w, bias, y, 0, rows, accumulate, scratch);
}

/// `d` as one call over `count` images runs it with fusion `f`: a gathered input is a dense tile;
/// a residual output is the trunk itself (every channel, in order, with the sum's activation), or,
/// with a scatter, a dense tile the sum is applied from afterwards.
static dnal_conv fused_descriptor(const dnal_conv *d, const dnal_conv_fusion *f, int count)
{
    dnal_conv c = *d;
    c.n = count;
    if (f->gather) c.ldx = d->cin;
    if (f->residual) {
        c.act = f->scatter ? 0 : f->act;
        c.ldy = f->scatter ? d->cout : f->width;
    }
    return c;
}

/// dnal_conv_forward_images with the conv's own input or output planar per `layout` (neither
/// is then gathered or scattered: the planar tensor is a pair's intermediate), `group` images
/// per call (1 with a planar layout; `tile` holds a group's gathered inputs and outputs).
static void conv_images(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w, const float *bias,
                        float *y, int n_begin, int n_end, float *scratch, float *tile, int layout, int group)
{
    // a group of images as one batch: its input is either x's images or their gathered copy, its
    // output the trunk's images (accumulated in the store) or a tile scattered into them afterwards
    const ptrdiff_t in_pixels = (ptrdiff_t)d->hin * d->win, out_pixels = (ptrdiff_t)d->hout * d->wout;
    float *in_tile = tile, *out_tile = tile + (f->gather ? group * in_pixels * d->cin : 0);
    for (int n = n_begin; n < n_end; n += group) {
        const int count = n_end - n < group ? n_end - n : group;
        const dnal_conv some = fused_descriptor(d, f, count);
        const float *xin = x + (ptrdiff_t)n * in_pixels * (f->gather ? f->gather_ld : d->ldx);
        if (f->gather) {
            // (images are contiguous: their pixels are one run)
            dnal_gather_channels(xin, f->gather_ld, count * in_pixels, f->gather, d->cin, in_tile, d->cin);
            xin = in_tile;
        }
        if (!f->residual) {
            conv_image(&some, xin, w, bias, y + (ptrdiff_t)n * out_pixels * d->ldy, 0, scratch, layout);
            continue;
        }
        float *trunk = y + (ptrdiff_t)n * out_pixels * f->width;
        if (!f->scatter) {
            conv_image(&some, xin, w, bias, trunk, 1, scratch, layout);
        } else {
            conv_image(&some, xin, w, bias, out_tile, 0, scratch, layout);
            dnal_sum_scatter_act(trunk, f->width, out_tile, d->cout, f->scatter, d->cout, count * out_pixels, trunk,
                                 f->width, f->width, f->act);
        }
    }
}

void dnal_conv_forward_images(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w,
                              const float *bias, float *y, int n_begin, int n_end, float *scratch, float *tile)
{
    conv_images(d, f, x, w, bias, y, n_begin, n_end, scratch, tile, 0, 1);
}

size_t dnal_conv_pair_mid_floats(const dnal_conv *d1)
{
    const size_t nhwc = (size_t)d1->hout * (size_t)d1->wout * (size_t)d1->cout;
    const size_t planar = (size_t)dnal_planar_plane(d1->hout, d1->wout) * (size_t)d1->cout;
    return planar > nhwc ? planar : nhwc;
}

/// Whether a pair keeps its intermediate planar: both convs take the narrow path (pixels in
/// the lanes), so the first one's accumulators are stored as they are and the second copies
/// its rows without a transpose.
static int pair_planar(const dnal_conv *d1, const dnal_conv_fusion *f1, const dnal_conv *d2, const dnal_conv_fusion *f2)
{
    const dnal_kernel_table *table = dnal_table();
    return table->conv_planar_applies && !f1->residual && !f2->gather && table->conv_planar_applies(d1) &&
           table->conv_planar_applies(d2);
}

/// Winograd tiles a pair's group of images should reach: a pass's products run the tiles as
/// the rows of a matrix product against each transformed weight panel, and one 8x8 image (4
/// tiles of 4x4) left every panel serving 4 rows. ResNet-56's 8x8 stage, 64 channels: 12.8
/// against 9.6 ms a batch with 8 images a group; no change on 16x16 (16 tiles an image).
#define PAIR_GROUP_TILES 32
/// Bytes a group's gathered inputs, intermediate and outputs may take, so they stay in L2.
#define PAIR_GROUP_BYTES (512 * 1024)

/// Output tiles of one image of a conv the 2-D Winograd pass takes (0 if it does not).
static int winograd_image_tiles(const dnal_conv *d)
{
    const int t = d->winograd ? dnal_conv_winograd_applies(d) : 0;
    return t ? ((d->hout + t - 1) / t) * ((d->wout + t - 1) / t) : 0;
}

int dnal_conv_pair_group(const dnal_conv *d1, const dnal_conv_fusion *f1, const dnal_conv *d2, const dnal_conv_fusion *f2)
{
    if (pair_planar(d1, f1, d2, f2)) return 1;
    const int a = winograd_image_tiles(d1), b = winograd_image_tiles(d2);
    const int tiles = a && b ? (a < b ? a : b) : (a ? a : b);
    if (tiles == 0 || tiles >= PAIR_GROUP_TILES) return 1;
    const size_t image = sizeof(float) * (dnal_conv_fusion_tile_floats(d1, f1) + dnal_conv_pair_mid_floats(d1) +
                                          dnal_conv_fusion_tile_floats(d2, f2));
    const int by_tiles = (PAIR_GROUP_TILES + tiles - 1) / tiles, by_bytes = (int)(PAIR_GROUP_BYTES / image);
    const int group = by_tiles < by_bytes ? by_tiles : by_bytes;
    return group < 1 ? 1 : group;
}

void dnal_conv_pair_forward_images(const dnal_conv *d1, const dnal_conv_fusion *f1, const float *w1, const float *b1,
                                   const dnal_conv *d2, const dnal_conv_fusion *f2, const float *w2, const float *b2,
                                   const float *x, float *y, int n_begin, int n_end, float *scratch, float *tile1,
                                   float *mid, float *tile2)
{
    const ptrdiff_t in1 = (ptrdiff_t)d1->hin * d1->win * (f1->gather ? f1->gather_ld : d1->ldx);
    const ptrdiff_t out2 = (ptrdiff_t)d2->hout * d2->wout * (f2->residual ? f2->width : d2->ldy);
    const int planar = pair_planar(d1, f1, d2, f2), group = dnal_conv_pair_group(d1, f1, d2, f2);
    // a planar intermediate's border: zero once here, never written after
    if (planar) memset(mid, 0, sizeof(float) * dnal_conv_pair_mid_floats(d1));
    for (int n = n_begin; n < n_end; n += group) {
        const int count = n_end - n < group ? n_end - n : group;
        conv_images(d1, f1, x + (ptrdiff_t)n * in1, w1, b1, mid, 0, count, scratch, tile1, planar ? DNAL_PLANAR_OUT : 0, count);
        conv_images(d2, f2, mid, w2, b2, y + (ptrdiff_t)n * out2, 0, count, scratch, tile2, planar ? DNAL_PLANAR_IN : 0,
                    count);
    }
}

int dnal_conv_chain_applies(const dnal_chain_block *blocks, int count, int width)
{
    const dnal_kernel_table *table = dnal_table();
    if (!table->conv_chain_images || !table->conv_chain_takes || !table->conv_chain_pays || count < 1 || width < 1) return 0;
    const int h = blocks[0].d2.hout, w = blocks[0].d2.wout;
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
    return table->conv_chain_pays(blocks, count);
}

/// Floats of the filters the chain's kernels transform once per call, every conv's.
static size_t dnal_chain_filters_floats(const dnal_chain_block *blocks, int count)
{
    const dnal_kernel_table *table = dnal_table();
    if (!table->conv_chain_filter_floats) return 0;
    size_t floats = 0;
    for (int k = 0; k < count; k++) {
        floats += table->conv_chain_filter_floats(&blocks[k].d1) + table->conv_chain_filter_floats(&blocks[k].d2);
    }
    return floats;
}

/// Where a chain tile's per-call filters start: after the planes and the widest conv's scratch.
static size_t dnal_chain_filters_at(const dnal_chain_block *blocks, int count, int width)
{
    size_t scratch = 0;
    for (int k = 0; k < count; k++) {
        const size_t a = dnal_conv_scratch_floats(&blocks[k].d1), b = dnal_conv_scratch_floats(&blocks[k].d2);
        scratch = a > scratch ? a : scratch;
        scratch = b > scratch ? b : scratch;
    }
    return dnal_chain_planes_floats(blocks, count, width) + scratch + 64;
}

size_t dnal_conv_chain_tile_floats(const dnal_chain_block *blocks, int count, int width)
{
    return dnal_chain_filters_at(blocks, count, width) + dnal_chain_filters_floats(blocks, count);
}

/// Trunk bytes a chain with a start writes ahead of the chain reading them: half of a 1 MB L2,
/// beside the chain's planes.
#define CHAIN_START_BYTES (512 * 1024)

void dnal_conv_chain_forward_images(const dnal_chain_block *blocks, int count, int width, float *trunk, int n_begin,
                                    int n_end, float *tile, const dnal_chain_start *start)
{
    // the planes' borders: zero once here, never written after
    memset(tile, 0, sizeof(float) * dnal_chain_planes_floats(blocks, count, width));
    const size_t filters_at = dnal_chain_filters_at(blocks, count, width);
    if (!start) {
        dnal_table()->conv_chain_images(blocks, count, width, trunk, n_begin, n_end, tile, filters_at);
        return;
    }
    // the scattered start written a group of images at a time, each group run through the
    // chain while it is in cache: as a pass of its own over the batch, it was written to memory
    // and read back (a scatter step of 1.1-1.4 ms in pruned ResNet-56's inference at 30% kept)
    const ptrdiff_t pixels = (ptrdiff_t)blocks[0].d2.hout * blocks[0].d2.wout, image = pixels * width;
    const ptrdiff_t fit = start->group > 0 ? start->group : CHAIN_START_BYTES / (ptrdiff_t)sizeof(float) / (image > 0 ? image : 1);
    const int group = fit < 1 ? 1 : (int)fit;
    for (int n0 = n_begin; n0 < n_end; n0 += group) {
        const int n1 = n_end - n0 < group ? n_end : n0 + group;
        float *y = trunk + n0 * image;
        memset(y, 0, sizeof(float) * (size_t)((n1 - n0) * image));
        dnal_scatter_add_channels(start->x + n0 * pixels * start->ldx, start->ldx, (n1 - n0) * pixels, start->index,
                                  start->count, y, width);
        dnal_table()->conv_chain_images(blocks, count, width, trunk, n0, n1, tile, filters_at);
    }
}

/// Bytes of intermediates an inverted-residual block keeps per worker: images are grouped until
/// their expanded and filtered tensors reach this, so that on small maps (4x4: 16 pixels) a pass
/// over the weights serves many pixels rather than one image's.
#define INVERTED_RESIDUAL_MID_BYTES (1024 * 1024)

/// Floats of one image's expanded and filtered tensors.
static size_t inverted_residual_image_floats(const dnal_conv *expand, const dnal_dwconv *dw)
{
    return (size_t)expand->hout * (size_t)expand->wout * (size_t)expand->cout + (size_t)dw->hout * (size_t)dw->wout * (size_t)dw->c;
}

int dnal_inverted_residual_group(const dnal_conv *expand, const dnal_dwconv *dw)
{
    const size_t image = sizeof(float) * inverted_residual_image_floats(expand, dw);
    const size_t group = INVERTED_RESIDUAL_MID_BYTES / (image > 0 ? image : 1);
    return group < 1 ? 1 : (group > 64 ? 64 : (int)group);
}

size_t dnal_inverted_residual_mid_floats(const dnal_conv *expand, const dnal_dwconv *dw)
{
    return (size_t)dnal_inverted_residual_group(expand, dw) * inverted_residual_image_floats(expand, dw) + 16;
}

/// The conv of `count` consecutive images (x and y at the first): one call over all their rows
/// when there is no channel map to apply (a 1x1's pixels then form one run across images), else
/// image by image through conv_images.
static void conv_group(const dnal_conv *d, const dnal_conv_fusion *f, const float *x, const float *w,
                       const float *bias, float *y, int count, float *scratch, float *tile)
{
    if (f->gather || (f->residual && f->scatter)) {
        conv_images(d, f, x, w, bias, y, 0, count, scratch, tile, 0, 1);
        return;
    }
    const dnal_conv group = fused_descriptor(d, f, count);
    dnal_conv_forward_rows(&group, x, w, bias, y, 0, count * d->hout, f->residual, scratch);
}

void dnal_inverted_residual_forward_images(const dnal_conv *d1, const dnal_conv_fusion *f1, const float *w1,
                                           const float *b1, const dnal_dwconv *dd, const float *wd, const float *bd,
                                           const dnal_conv *d3, const dnal_conv_fusion *f3, const float *w3,
                                           const float *b3, const float *x, float *y, int n_begin, int n_end,
                                           float *scratch, float *tile1, float *mid, float *tile3)
{
    const ptrdiff_t in1 = (ptrdiff_t)d1->hin * d1->win * (f1->gather ? f1->gather_ld : d1->ldx);
    const ptrdiff_t out3 = (ptrdiff_t)d3->hout * d3->wout * (f3->residual ? f3->width : d3->ldy);
    // the expanded images and their depthwise outputs, a group of images at a time: one image on
    // MobileNetV2's 32x32 maps (144 channels: 576 KB each), up to 8 on its 4x4 ones
    const int group = dnal_inverted_residual_group(d1, dd);
    float *expanded = mid, *filtered = mid + (ptrdiff_t)group * d1->hout * d1->wout * d1->cout;
    for (int n = n_begin; n < n_end; n += group) {
        const int count = n_end - n < group ? n_end - n : group;
        dnal_dwconv many = *dd;
        many.n = count;
        conv_group(d1, f1, x + (ptrdiff_t)n * in1, w1, b1, expanded, count, scratch, tile1);
        dnal_dwconv_forward(&many, expanded, wd, bd, filtered, 0, count);
        conv_group(d3, f3, filtered, w3, b3, y + (ptrdiff_t)n * out3, count, scratch, tile3);
    }
}
