// A small persistent worker pool for the kernels' parallel loops.
#ifndef DNAL_PARALLEL_H
#define DNAL_PARALLEL_H

#ifdef __cplusplus
extern "C" {
#endif

/// One part of a parallel loop: part `part` of the work described by `context`.
typedef void (*dnal_part_fn)(void *context, int part);

/// Runs fn(context, p) for p in [0, parts): part 0 on the calling thread, the others on pool
/// workers, and returns when every part is done. Workers wait for the next loop spinning for a
/// short while before they sleep, so back-to-back loops (an executor's steps) start in about a
/// microsecond instead of a thread wake-up. Returns 0 when it ran the loop; -1 when the pool is
/// busy with another caller's loop (or parts exceeds DNAL_POOL_MAX_PARTS, or a worker thread could not
/// be started), and then nothing ran.
int dnal_parallel_run(int parts, dnal_part_fn fn, void *context);

/// Work sharing with affinity: a loop's pieces are cut into one contiguous block per worker,
/// `blocks[w]` holding the block's remaining pieces as (first | end << 32). Worker `self` takes
/// the first remaining piece of its own block (the data it touched in the previous loop, still
/// in its cache, when the loops split alike); once that is empty it takes the last remaining
/// piece of another's block. Returns the piece, or -1 when no piece is left.
int dnal_parallel_claim(unsigned long long *blocks, int workers, int self);

/// Most parts one loop may have.
#define DNAL_POOL_MAX_PARTS 64

#ifdef __cplusplus
}
#endif
#endif
