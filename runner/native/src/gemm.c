/* Splits a GEMM into blocks of whole rows (or columns, when the output is wide) and runs them on
 * the pool with single-threaded OpenBLAS. One thread team for everything: OpenBLAS's own threads
 * would otherwise busy-wait between calls while ours need the cores. */
#include "gemm.h"
#include <string.h>
#include "pool.h"

void tp_sgemm_serial(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                     const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++) {
      float *row = c + i * ldc;
      if (beta == 0.0f) memset(row, 0, sizeof(float) * (size_t)n);
      else for (int64_t j = 0; j < n; j++) row[j] *= beta;
    }
    return;
  }
  cblas_sgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n,
              (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

static void gemm_block(const tp_gemm_t *g, int64_t from, int64_t to) {
  if (g->by_rows) {
    const float *a = g->ta ? g->a + from : g->a + from * g->lda;
    tp_sgemm_serial(g->ta, g->tb, to - from, g->n, g->k, g->alpha, a, g->lda, g->b, g->ldb, g->beta,
                    g->c + from * g->ldc, g->ldc);
    if (g->epi) g->epi(g->epi_ctx, from, to, 0, g->n);
  } else {
    const float *b = g->tb ? g->b + from * g->ldb : g->b + from;
    tp_sgemm_serial(g->ta, g->tb, g->m, to - from, g->k, g->alpha, g->a, g->lda, b, g->ldb, g->beta, g->c + from,
                    g->ldc);
    if (g->epi) g->epi(g->epi_ctx, 0, g->m, from, to);
  }
}

/* Blocks at least this many rows/columns wide keep OpenBLAS's packing overhead small. */
enum { MIN_BLOCK = 64, MAX_JOBS = 8 };

/* How many blocks a job is cut into, given how many jobs share the pool. */
static int64_t blocks_for(tp_gemm_t *g, int jobs) {
  const int threads = tp_pool_threads();
  const double flops = 2.0 * (double)g->m * (double)g->n * (double)(g->k > 0 ? g->k : 1);
  g->by_rows = g->m >= g->n;
  const int64_t dim = g->by_rows ? g->m : g->n;
  /* one job: twice the threads (a late thread's share can be taken over); several jobs together
   * already give every thread work, so fewer, larger blocks */
  int64_t chunks = threads < 2 || flops < 4e6 ? 1 : (jobs == 1 ? 2 * (int64_t)threads : (int64_t)threads);
  if (chunks > dim / MIN_BLOCK) chunks = dim / MIN_BLOCK;
  return chunks < 1 ? 1 : chunks;
}

typedef struct {
  const tp_gemm_t *jobs;
  int count;
  int64_t first[MAX_JOBS + 1]; /* task index where each job's blocks start */
  int64_t blocks[MAX_JOBS];
} multi_t;

static void multi_tasks(const void *p, int64_t from, int64_t to) {
  const multi_t *mt = p;
  for (int64_t task = from; task < to; task++) {
    int j = 0;
    while (task >= mt->first[j + 1]) j++;
    const tp_gemm_t *g = &mt->jobs[j];
    const int64_t dim = g->by_rows ? g->m : g->n, c = task - mt->first[j];
    gemm_block(g, tp_chunk_start(dim, mt->blocks[j], c), tp_chunk_start(dim, mt->blocks[j], c + 1));
  }
}

void tp_sgemm_jobs(tp_gemm_t *jobs, int count) {
  if (count > MAX_JOBS) {
    for (int i = 0; i < count; i += MAX_JOBS) tp_sgemm_jobs(jobs + i, count - i < MAX_JOBS ? count - i : MAX_JOBS);
    return;
  }
  multi_t mt = {.jobs = jobs, .count = count};
  mt.first[0] = 0;
  for (int j = 0; j < count; j++) {
    mt.blocks[j] = jobs[j].m > 0 && jobs[j].n > 0 ? blocks_for(&jobs[j], count) : 0;
    mt.first[j + 1] = mt.first[j] + mt.blocks[j];
  }
  tp_parallel_chunks(mt.first[count], mt.first[count], multi_tasks, &mt);
}

void tp_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc, tp_epilogue_fn epi, const void *epi_ctx) {
  tp_gemm_t g = {ta, tb, 0, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, epi, epi_ctx};
  tp_sgemm_jobs(&g, 1);
}
