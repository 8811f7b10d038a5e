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

typedef struct {
  int ta, tb, by_rows;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
  tp_epilogue_fn epi;
  const void *epi_ctx;
} gemm_job_t;

static void gemm_block(const void *p, int64_t from, int64_t to) {
  const gemm_job_t *g = p;
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
enum { MIN_BLOCK = 64 };

void tp_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc, tp_epilogue_fn epi, const void *epi_ctx) {
  if (m <= 0 || n <= 0) return;
  const int threads = tp_pool_threads();
  const double flops = 2.0 * (double)m * (double)n * (double)(k > 0 ? k : 1);
  gemm_job_t g = {ta, tb, m >= n, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, epi, epi_ctx};
  const int64_t dim = g.by_rows ? m : n;
  int64_t chunks = threads < 2 || flops < 4e6 ? 1 : 2 * (int64_t)threads;
  if (chunks > dim / MIN_BLOCK) chunks = dim / MIN_BLOCK;
  if (chunks < 1) chunks = 1;
  tp_parallel_chunks(dim, chunks, gemm_block, &g);
}
