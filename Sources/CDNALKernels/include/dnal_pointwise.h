// Memory-bound kernels over NHWC tensors seen as `pixels` rows of `c` channels (a pixel is one
// (n, h, w) position; a feature vector is one pixel of c features). Mostly portable C at -O3: these
// are limited by memory bandwidth, not arithmetic. The batch-norm passes a training step runs on
// every conv (the moments, the affine pass with its activation, the fused reduction and
// backward) dispatch per ISA: from L2 their vectorised versions run 2-4x faster
// (pointwise_simd.inc). Reductions write per-call partial sums so callers can split pixels over
// threads and add the partials in a fixed order (deterministic results).
#ifndef DNAL_POINTWISE_H
#define DNAL_POINTWISE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// sum[c] += sum over pixels of x[p][c].
void dnal_channel_sum(const float *x, ptrdiff_t pixels, int c, double *sum);
/// The mean and the centred sum of squares of each channel over `pixels` rows (into mean[c] and
/// m2[c], overwritten): one pass over x, two over each 64-row block while it is in L1 (its
/// mean, then its centred squares and residual), the blocks merged in double (Chan, Golub and
/// LeVeque's pairwise update). As accurate as two passes over x: no cancellation of large
/// squares, and exactly 0 for a constant channel.
void dnal_channel_moments(const float *x, ptrdiff_t pixels, int c, double *mean, double *m2);
/// Adds nb rows with per-channel means bmean and centred sums of squares bm2 (a later piece's
/// dnal_channel_moments) to the n rows before them (mean, m2), with the same pairwise update.
void dnal_moments_combine(int c, double n, double nb, const double *bmean, const double *bm2, double *mean, double *m2);
/// a_sum[c] += sum a[p][c];  ab_sum[c] += sum a[p][c] * b[p][c]  (a_sum may be NULL).
void dnal_channel_dot(const float *a, const float *b, ptrdiff_t pixels, int c, double *a_sum, double *ab_sum);
/// y[p][c] = x[p][c] * scale[c] + shift[c] (shift may be NULL); y may equal x.
void dnal_channel_affine(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, float *y);
/// Batch-norm backward: dx = k1[c] * (dy - k2[c] - (x - mean[c]) * k3[c]), the caller folding
/// gamma, 1/std and the batch sums into k1, k2, k3. dx may equal dy.
void dnal_bn_backward_data(const float *dy, const float *x, ptrdiff_t pixels, int c, const float *mean,
                           const float *k1, const float *k2, const float *k3, float *dx);

/// Activation codes of the fused kernels.
enum { DNAL_ACT_NONE = 0, DNAL_ACT_RELU = 1, DNAL_ACT_RELU6 = 2 };

/// Fused batch-norm apply, gate and activation: y = act(x * scale[c] + shift[c]). With `stream`
/// (a hint, dnal_memory.h) the vector paths store y past the caches where y is 64-byte aligned
/// and c a whole number of vectors; the values are the same either way.
void dnal_channel_affine_act(const float *x, ptrdiff_t pixels, int c, const float *scale, const float *shift, int act,
                             float *y, int stream);
/// Backward reduction of the fused block, with the activation's mask m recomputed from x:
/// a_sum[c] += sum dz*m;  ax_sum[c] += sum dz*m*x.
void dnal_fused_bn_reduce(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                          const float *shift, int act, double *a_sum, double *ax_sum);
/// Backward of the fused block into the conv output: dx = k1[c] * (dz*m*g[c] - k2[c] - (x - mean[c]) * k3[c]).
/// `stream` as in dnal_channel_affine_act, for dx.
void dnal_fused_bn_backward(const float *dz, const float *x, ptrdiff_t pixels, int c, const float *scale,
                            const float *shift, int act, const float *g, const float *mean, const float *k1,
                            const float *k2, const float *k3, float *dx, int stream);

/// y = max(x, 0), or min(max(x, 0), 6) when relu6. y may equal x.
void dnal_relu_forward(const float *x, ptrdiff_t n, int relu6, float *y);
/// dx = dy where 0 < y (< 6 for relu6), else 0, from the activation's output y. dx may equal dy.
void dnal_relu_backward(const float *dy, const float *y, ptrdiff_t n, int relu6, float *dx);

/// y = a + b over n floats (y may equal a or b).
void dnal_add(const float *a, const float *b, ptrdiff_t n, float *y);
/// y = x * scale (y may equal x).
void dnal_scale(const float *x, ptrdiff_t n, float scale, float *y);
/// y = x * m elementwise (dropout with a precomputed scaled mask).
void dnal_multiply(const float *x, const float *m, ptrdiff_t n, float *y);

/// Copies `width` channels of each pixel from x (pixel stride ldx) to y (pixel stride ldy),
/// adding into y when accumulate is set. Serves concat, zero-pad and their gradients.
void dnal_copy_channels(const float *x, int ldx, ptrdiff_t pixels, int width, float *y, int ldy, int accumulate);

/// Channel index maps of pruned networks. Gather: y[p][k] = x[p][index[k]] for k < n (a conv
/// reading a subset of its input's channels). Scatter-add: y[p][index[k]] += x[p][k] (a residual
/// branch adding its kept channels into the trunk). Each is the other's gradient.
void dnal_gather_channels(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);
void dnal_scatter_add_channels(const float *x, int ldx, ptrdiff_t pixels, const int *index, int n, float *y, int ldy);
/// y[p][c] = act(trunk[p][c] + sum of x[p][k] over index[k] == c), c < width: a residual sum whose
/// branch writes part of the trunk, with the activation after it (0 none, 1 relu, 2 relu6), in
/// one pass. y may be trunk.
void dnal_sum_scatter_act(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n, ptrdiff_t pixels,
                          float *y, int ldy, int width, int act);
/// dnal_sum_scatter_act with a training step's extra outputs, each optional: g[p][k] =
/// y[p][gindex[k]] for k < ng (rows of ldg; the next conv's gather of the sum, g not overlapping
/// y), and the activation's slope bits of y as dnal_slope_mask writes them (mask, or NULL).
void dnal_sum_scatter_act_outputs(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n,
                                  ptrdiff_t pixels, float *y, int ldy, int width, int act, float *g, int ldg,
                                  const int *gindex, int ng, uint16_t *mask);
/// The activation's slope over rows of `width` floats, one bit per channel: mask[p * groups + j]
/// bit i is channel 16 j + i's slope (1 where y > 0, and y < 6 for relu6; 0 for NaN), groups =
/// ceil(width / 16). A sum's backward pass reads these instead of its output (64 times fewer
/// bytes), so the output need not outlive the next block's forward pass.
void dnal_slope_mask(const float *y, ptrdiff_t pixels, int width, int act, uint16_t *mask);
/// The gradient through that sum, in one pass over the trunk (rows of `width` floats):
/// dsum[p][c] = slope(p, c) ? dy[p][c] + (pending[p][k] where pindex[k] == c) : 0, then
/// g[p][k] = dsum[p][gindex[k]] for k < ng. `pending` (np channels, rows of ldp) is a gather's
/// gradient not yet added into dy; `g` is a scattered branch's gradient. np and ng may be 0 (their
/// pointers then unused); the slope is dnal_slope_mask's `mask` (unused, every slope 1, without an
/// activation); dsum may be dy. Where the slope is 0 the gradient is 0, even a NaN one.
void dnal_sum_scatter_act_backward(const float *dy, const uint16_t *mask, int width, const float *pending, int ldp,
                                   const int *pindex, int np, ptrdiff_t pixels, int act, float *dsum,
                                   float *g, int ldg, const int *gindex, int ng);

/// Max or average pooling over NHWC images [n_begin, n_end). Max pooling records, for each
/// output element, the flat input index of its maximum in `argmax` (for the backward pass).
typedef struct { int n, h, w, c, hout, wout, k, stride, pad; } dnal_pool;
void dnal_maxpool_forward(const dnal_pool *d, const float *x, float *y, int *argmax, int n_begin, int n_end);
/// dx (zeroed for these images first) gets each dy at its argmax.
void dnal_maxpool_backward(const dnal_pool *d, const float *dy, const int *argmax, float *dx, int n_begin, int n_end);
/// Average pooling counts padded zeros in the divisor (k*k always), as PyTorch's default.
void dnal_avgpool_forward(const dnal_pool *d, const float *x, float *y, int n_begin, int n_end);
void dnal_avgpool_backward(const dnal_pool *d, const float *dy, float *dx, int n_begin, int n_end);

/// Global average pooling: y[n][c] = mean over the hw pixels of image n (images [n_begin, n_end)).
void dnal_gap_forward(const float *x, int hw, int c, float *y, int n_begin, int n_end);
/// dx[n][p][c] = dy[n][c] / hw.
void dnal_gap_backward(const float *dy, int hw, int c, float *dx, int n_begin, int n_end);

/// NHWC [n][hw][c] <-> flat CHW per sample [n][c][hw] (PyTorch's flatten order).
void dnal_nhwc_to_chw(const float *x, int n, int hw, int c, float *y);
void dnal_chw_to_nhwc(const float *x, int n, int hw, int c, float *y);

/// Softmax cross-entropy of rows [row_begin, row_end) of logits[rows][classes] against labels:
/// adds each row's loss to *loss_sum (in double) and writes dlogits = (softmax - onehot) * scale.
/// Returns -1 if a label is out of range or a logit is not finite, else 0.
int dnal_softmax_cross_entropy(const float *logits, const int *labels, int row_begin, int row_end, int classes,
                               float scale, double *loss_sum, float *dlogits);

/// SGD with momentum and weight decay on n parameters (PyTorch's formulation):
/// g' = g + wd*w; v = momentum*v + g'; w -= lr * (nesterov ? g' + momentum*v : v).
void dnal_sgd_step(float *w, const float *g, float *v, ptrdiff_t n, float lr, float momentum, float wd, int nesterov);
/// Adam (bias-corrected, L2 weight decay added to the gradient): m, v are the moment buffers;
/// c1 = 1 - beta1^t and c2 = 1 - beta2^t.
void dnal_adam_step(float *w, const float *g, float *m, float *v, ptrdiff_t n, float lr, float beta1, float beta2,
                    float eps, float wd, float c1, float c2);

#ifdef __cplusplus
}
#endif
#endif
