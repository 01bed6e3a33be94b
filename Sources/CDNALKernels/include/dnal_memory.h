// Memory for the executor's large buffers.
#ifndef DNAL_MEMORY_H
#define DNAL_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outputs of at least this many bytes are worth storing past the caches (the `stream` hints of
/// the batch-norm passes, the depthwise forward and the dense conv's stores). A pass that reads
/// x and writes y of this size cycles twice that through a 32 MB last-level cache (a Zen 4
/// CCD's; sysconf's figure in a virtual machine can be the whole socket's), so y's first rows
/// are gone before its consumer reads them, and a plain store only adds a read of each line it
/// is about to overwrite. Alternated A/B, huge pages on, batch 128: MobileNetV2's affine pass
/// 24% less time, its fused backward 20%, its depthwise forward 23%; its training step 0.90x
/// with those, then 0.94x with the conv stores; VGG16's training step 0.95x, then 0.94x.
#define DNAL_STREAM_BYTES ((size_t)16 << 20)

/// Uninitialised room for `floats` floats on a 2 MB boundary, marked for transparent huge pages
/// (Linux), or NULL when the memory is not there. Free with dnal_free_large.
float *dnal_allocate_large(size_t floats);
/// Frees what dnal_allocate_large returned (NULL is ignored).
void dnal_free_large(float *p);

#ifdef __cplusplus
}
#endif
#endif
