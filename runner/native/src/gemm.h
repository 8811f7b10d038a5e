/* Row-major SGEMM over the worker pool: OpenBLAS runs single-threaded on blocks of the output. */
#ifndef TUNEPLANE_GEMM_H
#define TUNEPLANE_GEMM_H
#include <stdint.h>

/* OpenBLAS entry points (LP64 build as shipped by Debian's libopenblas-dev). */
void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

#define CBLAS_ROW_MAJOR 101
#define CBLAS_NO_TRANS 111
#define CBLAS_TRANS 112

/* Applied to the finished block C[r0..r1) x [c0..c1) while it is still in cache (bias, activation,
 * residual); NULL for none. */
typedef void (*tp_epilogue_fn)(const void *ctx, int64_t r0, int64_t r1, int64_t c0, int64_t c1);

/* One GEMM: C = alpha * op(A) op(B) + beta * C, then the epilogue; op(A) is m x k, op(B) k x n. */
typedef struct {
  int ta, tb, by_rows; /* by_rows is set by the scheduler */
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
  tp_epilogue_fn epi;
  const void *epi_ctx;
} tp_gemm_t;

/* Independent GEMMs (e.g. a dense layer's dx and dW) in one parallel region: fewer, larger blocks
 * and one synchronisation instead of one per GEMM. */
void tp_sgemm_jobs(tp_gemm_t *jobs, int count);

void tp_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc, tp_epilogue_fn epi, const void *epi_ctx);

/* The same on one thread (inside a pool chunk). */
void tp_sgemm_serial(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

#endif
