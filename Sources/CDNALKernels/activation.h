// The activation's value and slope mask shared by the fused pointwise kernels (internal).
#ifndef DNAL_ACTIVATION_H
#define DNAL_ACTIVATION_H
#include "include/dnal_pointwise.h"

/// The activation's value and slope mask for the fused kernels (NaN passes through the value).
static inline float dnal_act_value(float v, int act)
{
    if (act == DNAL_ACT_NONE) return v;
    v = v < 0.0f ? 0.0f : v;
    return act == DNAL_ACT_RELU6 && v > 6.0f ? 6.0f : v;
}

static inline float dnal_act_mask(float v, int act)
{
    if (act == DNAL_ACT_NONE) return 1.0f;
    if (act == DNAL_ACT_RELU6) return (v > 0.0f && v < 6.0f) ? 1.0f : 0.0f;
    return v > 0.0f ? 1.0f : 0.0f;
}

#endif
