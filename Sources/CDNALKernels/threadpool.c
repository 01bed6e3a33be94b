// The worker pool behind dnal_parallel_run. One loop runs at a time (a caller that finds the pool
// busy gets -1 and runs its loop another way), so the pool needs no queue: a loop is published by
// bumping `generation`; every worker acknowledges it by counting down `pending`, after running its
// part if its index is below the loop's part count; the caller, after its own part, waits for
// `pending` to reach zero. Because every worker acknowledges, none can still be reading a loop's
// fields when the next loop overwrites them. A loop may also share its pieces out dynamically
// (dnal_parallel_claim): each worker runs its own block, then takes what is left of the others'.
#include "include/dnal_parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/// Pause instructions a worker spins through waiting for the next loop before it sleeps: a few
/// hundred microseconds, longer than the serial gaps between the loops of a training step. (At
/// 3000, tens of microseconds, a pruned network's small loops often found the worker asleep and
/// waited for its wake-up: 3-10% of a pruned ResNet-56 training step.)
#define SPIN_LIMIT 30000

static struct {
    pthread_mutex_t lock;      // guards sleeping and the condition variable
    pthread_cond_t wake;
    atomic_flag busy;          // a caller owns the pool
    atomic_ulong generation;   // bumped once per published loop
    atomic_int pending;        // workers that have not yet acknowledged (and run their part of) the current loop
    atomic_int sleeping;       // workers blocked on `wake`
    int workers;               // threads started (parts 1 ... workers)
    atomic_int spin;           // whether idle workers spin (not when they outnumber the cores)
    dnal_part_fn fn;
    void *context;
    int parts;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, ATOMIC_FLAG_INIT, 0, 0, 0, 0, 0, NULL, NULL, 0};

/// The generation each worker was started at (its first loop is the next one).
static unsigned long start_generation[DNAL_POOL_MAX_PARTS];

static void *worker_main(void *arg)
{
    const int index = (int)(ptrdiff_t)arg;
    unsigned long seen = start_generation[index];
    for (;;) {
        unsigned long now;
        int spins = 0;
        while ((now = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&pool.spin, memory_order_relaxed) && ++spins < SPIN_LIMIT) {
                CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleeping, 1);
            while (atomic_load(&pool.generation) == seen) {
                pthread_cond_wait(&pool.wake, &pool.lock);
            }
            atomic_fetch_sub(&pool.sleeping, 1);
            pthread_mutex_unlock(&pool.lock);
            spins = 0;
        }
        seen = now;
        if (index < pool.parts) pool.fn(pool.context, index);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

/// Starts workers until parts - 1 exist (called with the pool owned). Returns 0 on success.
static int ensure_workers(int parts)
{
    if (pool.workers >= parts - 1) return 0;
    const unsigned long now = atomic_load(&pool.generation);
    while (pool.workers < parts - 1) {
        start_generation[pool.workers + 1] = now;
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attr, worker_main, (void *)(ptrdiff_t)(pool.workers + 1));
        pthread_attr_destroy(&attr);
        if (failed) return -1;
        pool.workers++;
    }
    // only when workers were added: glibc answers sysconf by opening and reading
    // /sys/devices/system/cpu/online, syscalls that took 2% of pruned VGG16's main thread when
    // every run asked
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    atomic_store_explicit(&pool.spin, pool.workers + 1 <= (cores > 0 ? cores : 1), memory_order_relaxed);
    return 0;
}

int dnal_parallel_run(int parts, dnal_part_fn fn, void *context)
{
    if (parts <= 1) {
        if (parts == 1) fn(context, 0);
        return 0;
    }
    if (parts > DNAL_POOL_MAX_PARTS) return -1;
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) return -1;
    if (ensure_workers(parts) != 0) {
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        return -1;
    }
    pool.fn = fn;
    pool.context = context;
    pool.parts = parts;
    atomic_store_explicit(&pool.pending, pool.workers, memory_order_relaxed);
    atomic_fetch_add(&pool.generation, 1);
    if (atomic_load(&pool.sleeping) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    fn(context, 0);
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0) CPU_RELAX();
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 0;
}

/// Takes one piece from `block`: its first (from_front) or its last remaining one.
static int take_piece(unsigned long long *block, int from_front)
{
    unsigned long long now = __atomic_load_n(block, __ATOMIC_RELAXED);
    for (;;) {
        const unsigned first = (unsigned)(now & 0xffffffffu), end = (unsigned)(now >> 32);
        if (first >= end) return -1;
        const unsigned long long next = from_front ? now + 1 : now - (1ull << 32);
        if (__atomic_compare_exchange_n(block, &now, next, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return (int)(from_front ? first : end - 1);
    }
}

int dnal_parallel_claim(unsigned long long *blocks, int workers, int self)
{
    const int own = take_piece(&blocks[self], 1);
    if (own >= 0) return own;
    for (int k = 1; k < workers; k++) {
        const int stolen = take_piece(&blocks[(self + k) % workers], 0);
        if (stolen >= 0) return stolen;
    }
    return -1;
}
