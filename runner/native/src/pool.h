/* A persistent worker pool for the native kernels. One pool serves every kernel, GEMMs included
 * (OpenBLAS itself runs single-threaded inside it), so the process never has two thread teams
 * competing for the same cores. */
#ifndef TUNEPLANE_POOL_H
#define TUNEPLANE_POOL_H
#include <stdint.h>

/* fn(ctx, from, to) handles items [from, to). */
typedef void (*tp_range_fn)(const void *ctx, int64_t from, int64_t to);

/* Threads the kernels use, the caller's included (1..64). Starts or resizes the pool. */
void tp_pool_set_threads(int n);
int tp_pool_threads(void);

/* Runs fn over [0, n) split into `chunks` contiguous pieces (clamped to [1, n]), which the caller
 * and the workers claim one at a time: a worker the OS has not scheduled yet never holds the
 * others up, since the caller claims whatever is left. Chunk boundaries depend only on n and
 * chunks, so reductions that combine per-chunk partials in order are deterministic whatever the
 * thread count. Not reentrant: fn must not call tp_parallel_chunks (it runs serially if it does). */
void tp_parallel_chunks(int64_t n, int64_t chunks, tp_range_fn fn, const void *ctx);

/* Chunk [from, to) of chunk index c of `chunks` over n items (the split tp_parallel_chunks uses). */
static inline int64_t tp_chunk_start(int64_t n, int64_t chunks, int64_t c) { return n * c / chunks; }
/* The index of the chunk that starts at `from` (chunks <= n). */
static inline int64_t tp_chunk_index(int64_t n, int64_t chunks, int64_t from) { return (from * chunks + n - 1) / n; }

/* Runs fn over [0, n) in about 4 pieces per thread when `work` (n times a per-item cost, roughly
 * in nanoseconds) is worth waking the pool for, else inline. */
void tp_parallel(int64_t n, double work, tp_range_fn fn, const void *ctx);

#endif
