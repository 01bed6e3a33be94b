// Large tensors' memory: the executor's arena (every activation and gradient of a step, up to
// gigabytes) is mapped on 2 MB boundaries and offered to the kernel as transparent huge pages.
#include "include/dnal_memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

float *dnal_allocate_large(size_t floats)
{
    size_t bytes = floats * sizeof(float);
    if (bytes == 0) bytes = sizeof(float);
    const size_t rounded = (bytes + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE_BYTES, rounded) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return (float *)p;
}

void dnal_free_large(float *p) { free(p); }
