// Memory for the executor's large buffers.
#ifndef DNAL_MEMORY_H
#define DNAL_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Uninitialised room for `floats` floats on a 2 MB boundary, marked for transparent huge pages
/// (Linux), or NULL when the memory is not there. Free with dnal_free_large.
float *dnal_allocate_large(size_t floats);
/// Frees what dnal_allocate_large returned (NULL is ignored).
void dnal_free_large(float *p);

#ifdef __cplusplus
}
#endif
#endif
