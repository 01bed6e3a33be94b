// Channel index maps (a pruned network's gathers and scatters, fused residual sums) and the
// FMA peak probe, routed to the chosen ISA's kernels (dispatch.c).
#include <stdlib.h>
#include <string.h>
#include "kernel_table.h"
#include "include/dnal_pointwise.h"

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
    case DNAL_ISA_AVX512: return DNAL_PEAK_CHAINS(16) * 16 * 2;
    case DNAL_ISA_AVX2: return DNAL_PEAK_CHAINS(8) * 8 * 2;
    default: return DNAL_PEAK_CHAINS(1) * 2;
    }
}

void dnal_sum_scatter_act(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n, ptrdiff_t pixels,
                          float *y, int ldy, int width, int act)
{
    dnal_table()->sum_scatter_act(trunk, ldt, x, ldx, index, n, pixels, y, ldy, width, act, NULL, 0, NULL, 0, NULL);
}

void dnal_sum_scatter_act_outputs(const float *trunk, int ldt, const float *x, int ldx, const int *index, int n,
                                  ptrdiff_t pixels, float *y, int ldy, int width, int act, float *g, int ldg,
                                  const int *gindex, int ng, uint16_t *mask)
{
    dnal_table()->sum_scatter_act(trunk, ldt, x, ldx, index, n, pixels, y, ldy, width, act, g, ldg, gindex, ng, mask);
}

void dnal_sum_scatter_act_backward(const float *dy, const uint16_t *mask, int width, const float *pending, int ldp,
                                   const int *pindex, int np, ptrdiff_t pixels, int act, float *dsum,
                                   float *g, int ldg, const int *gindex, int ng)
{
    dnal_table()->sum_scatter_act_backward(dy, mask, width, pending, ldp, pindex, np, pixels, act, dsum, g, ldg, gindex, ng);
}

void dnal_slope_mask(const float *y, ptrdiff_t pixels, int width, int act, uint16_t *mask)
{
    dnal_table()->slope_mask(y, pixels, width, act, mask);
}
