/* Persistent worker pool (see pool.h). Workers sleep on a condition variable between jobs after a
 * short spin: kernels come in quick succession within a step, and a wake-up through the kernel
 * costs tens of microseconds, but spinning longer would steal the core from other processes on
 * a shared machine. */
#define _GNU_SOURCE
#include "pool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_THREADS = 64, SPIN_NS = 30000 };

typedef struct {
  tp_range_fn fn;
  const void *ctx;
  int64_t n, chunks;
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;    /* workers: a new job or stop */
static pthread_cond_t settled = PTHREAD_COND_INITIALIZER; /* caller: the job is finished */
static pthread_t workers[MAX_THREADS];
static int nworkers = 0;
static int threads = 1;
static int stopping = 0;
static job_t job;
static atomic_uint_fast64_t generation = 0;
static atomic_int_fast64_t next_chunk = 0, done_chunks = 0;
static atomic_int active = 0;     /* workers inside the current job */
static atomic_int in_parallel = 0; /* a job is running: nested calls run inline */
static int waiting_caller = 0;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Claims and runs chunks of `j` until none is left; returns how many it ran. */
static int64_t run_chunks(const job_t *j) {
  int64_t ran = 0;
  for (;;) {
    const int64_t c = atomic_fetch_add(&next_chunk, 1);
    if (c >= j->chunks) break;
    j->fn(j->ctx, tp_chunk_start(j->n, j->chunks, c), tp_chunk_start(j->n, j->chunks, c + 1));
    ran++;
  }
  return ran;
}

static void *worker_main(void *arg) {
  (void)arg;
  uint64_t seen = atomic_load(&generation);
  for (;;) {
    /* spin briefly for the next job before sleeping */
    const int64_t until = now_ns() + SPIN_NS;
    while (atomic_load_explicit(&generation, memory_order_acquire) == seen && now_ns() < until) cpu_relax();
    pthread_mutex_lock(&lock);
    while (atomic_load(&generation) == seen && !stopping) pthread_cond_wait(&wake, &lock);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    seen = atomic_load(&generation);
    const job_t j = job; /* consistent: the caller writes it under the lock */
    atomic_fetch_add(&active, 1);
    pthread_mutex_unlock(&lock);

    const int64_t ran = run_chunks(&j);
    if (ran) atomic_fetch_add(&done_chunks, ran);
    pthread_mutex_lock(&lock);
    atomic_fetch_sub(&active, 1);
    if (waiting_caller) pthread_cond_signal(&settled);
    pthread_mutex_unlock(&lock);
  }
}

static void stop_workers(void) {
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
  nworkers = 0;
  stopping = 0;
}

void tp_pool_set_threads(int n) {
  n = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
  if (n == threads && nworkers == n - 1) return;
  stop_workers();
  threads = n;
  for (int i = 0; i < n - 1; i++) {
    if (pthread_create(&workers[nworkers], NULL, worker_main, NULL) != 0) break;
    nworkers++;
  }
}

int tp_pool_threads(void) { return threads; }

void tp_parallel_chunks(int64_t n, int64_t chunks, tp_range_fn fn, const void *ctx) {
  if (n <= 0) return;
  if (chunks > n) chunks = n;
  if (chunks < 1) chunks = 1;
  int expected = 0;
  if (chunks == 1 || nworkers == 0 || !atomic_compare_exchange_strong(&in_parallel, &expected, 1)) {
    /* serial, same chunk boundaries */
    for (int64_t c = 0; c < chunks; c++) fn(ctx, tp_chunk_start(n, chunks, c), tp_chunk_start(n, chunks, c + 1));
    return;
  }
  pthread_mutex_lock(&lock);
  /* A worker that woke after the previous job settled may still hold a copy of it (it counted
   * itself active under this lock, after the caller stopped waiting). It finds that job's chunks
   * all claimed and leaves, unless this job resets the counter first: then it would run this job's
   * chunks with the previous job's function and its (gone) context. Wait for it to leave. */
  while (atomic_load(&active) > 0) {
    waiting_caller = 1;
    pthread_cond_wait(&settled, &lock);
  }
  waiting_caller = 0;
  job = (job_t){fn, ctx, n, chunks};
  atomic_store(&next_chunk, 0);
  atomic_store(&done_chunks, 0);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);

  const int64_t ran = run_chunks(&job);
  if (ran) atomic_fetch_add(&done_chunks, ran);
  /* Finished when every chunk is done and no worker is still inside this job (a worker that woke
   * late must not claim chunks of the next one with this job's function). */
  const int64_t until = now_ns() + SPIN_NS;
  while (!(atomic_load(&done_chunks) == chunks && atomic_load(&active) == 0) && now_ns() < until) cpu_relax();
  pthread_mutex_lock(&lock);
  waiting_caller = 1;
  while (!(atomic_load(&done_chunks) == chunks && atomic_load(&active) == 0)) pthread_cond_wait(&settled, &lock);
  waiting_caller = 0;
  pthread_mutex_unlock(&lock);
  atomic_store(&in_parallel, 0);
}

void tp_parallel(int64_t n, double work, tp_range_fn fn, const void *ctx) {
  if (n <= 0) return;
  const int64_t chunks = (work < 65536.0 || threads < 2) ? 1 : 4 * (int64_t)threads;
  tp_parallel_chunks(n, chunks, fn, ctx);
}
