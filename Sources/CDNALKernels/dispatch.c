// Picks the instruction-set path once (the best the CPU and OS support, or DNALC_ISA), per thread
// when asked, and gives the table of that path's kernels. The public entry points that route
// through it live with their concern: conv_entry.c, conv_fused.c, channels_entry.c.
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

const dnal_kernel_table *dnal_table(void)
{
    switch (dnal_isa()) {
#if defined(__x86_64__)
    case DNAL_ISA_AVX512: return &dnal_table_avx512;
    case DNAL_ISA_AVX2: return &dnal_table_avx2;
#endif
    default: return &dnal_table_scalar;
    }
}
