/* Dense layer: y = act(x W + bias) + residual in one GEMM plus an epilogue that runs on each
 * output block right after the GEMM wrote it (still in cache); the backward pass is the
 * activation's derivative, two GEMMs and a column sum. */
#include <math.h>
#include <stdlib.h>
#include "fused.h"
#include "gemm.h"
#include "mathfn.h"
#include "pool.h"

static inline float act_fwd(int act, float x) {
  switch (act) {
    case TP_ACT_GELU_TANH: return tp_gelu_tanh(x);
    case TP_ACT_GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case TP_ACT_RELU: return x < 0.0f ? 0.0f : x;
    case TP_ACT_SILU: return x * tp_sigmoidf(x);
    default: return x;
  }
}

static inline float act_grad(int act, float x) {
  switch (act) {
    case TP_ACT_GELU_TANH: return tp_gelu_tanh_grad(x);
    case TP_ACT_GELU_ERF:
      return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * 0.3989422804014327f * expf(-0.5f * x * x);
    case TP_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case TP_ACT_SILU: {
      const float s = tp_sigmoidf(x);
      return s * (1.0f + x * (1.0f - s));
    }
    default: return 1.0f;
  }
}

typedef struct {
  const float *bias, *residual;
  float *y, *pre;
  int act;
  int64_t n;
} dense_epi_t;

/* One row segment: v = src + bias; pre = v (when kept); y = act(v) + residual. Separate
 * restrict-qualified loops per case so each vectorizes without aliasing checks. */
#define ROW_FN(NAME, ACT)                                                                                   \
  TP_CLONES static void NAME(float *restrict pre, float *restrict y, const float *restrict bias,            \
                             const float *restrict res, int64_t n) {                                        \
    if (bias)                                                                                               \
      for (int64_t c = 0; c < n; c++) pre[c] += bias[c];                                                    \
    if (res)                                                                                                \
      for (int64_t c = 0; c < n; c++) y[c] = act_fwd(ACT, pre[c]) + res[c];                                 \
    else                                                                                                    \
      for (int64_t c = 0; c < n; c++) y[c] = act_fwd(ACT, pre[c]);                                          \
  }
ROW_FN(row_gelu_tanh, TP_ACT_GELU_TANH)
ROW_FN(row_gelu_erf, TP_ACT_GELU_ERF)
ROW_FN(row_relu, TP_ACT_RELU)
ROW_FN(row_silu, TP_ACT_SILU)

/* No activation: the GEMM wrote into y itself; add bias and residual in place. */
TP_CLONES static void row_linear(float *restrict y, const float *restrict bias, const float *restrict res, int64_t n) {
  if (bias && res)
    for (int64_t c = 0; c < n; c++) y[c] += bias[c] + res[c];
  else if (bias)
    for (int64_t c = 0; c < n; c++) y[c] += bias[c];
  else if (res)
    for (int64_t c = 0; c < n; c++) y[c] += res[c];
}

static void dense_epilogue(const void *p, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const dense_epi_t *e = p;
  const int64_t n = e->n, w = c1 - c0;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t o = r * n + c0;
    const float *bias = e->bias ? e->bias + c0 : NULL, *res = e->residual ? e->residual + o : NULL;
    switch (e->act) {
      case TP_ACT_GELU_TANH: row_gelu_tanh(e->pre + o, e->y + o, bias, res, w); break;
      case TP_ACT_GELU_ERF: row_gelu_erf(e->pre + o, e->y + o, bias, res, w); break;
      case TP_ACT_RELU: row_relu(e->pre + o, e->y + o, bias, res, w); break;
      case TP_ACT_SILU: row_silu(e->pre + o, e->y + o, bias, res, w); break;
      default: row_linear(e->y + o, bias, res, w); break;
    }
  }
}

void tp_dense_fwd(const float *x, const float *w, int trans_w, const float *bias, const float *residual, int act,
                  float *y, float *pre, int64_t m, int64_t k, int64_t n) {
  if (act == TP_ACT_NONE) pre = NULL;
  dense_epi_t e = {bias, residual, y, pre, act, n};
  const int need_epi = bias || residual || act != TP_ACT_NONE;
  tp_sgemm(0, trans_w, m, n, k, 1.0f, x, k, w, trans_w ? k : n, 0.0f, pre ? pre : y, n,
           need_epi ? dense_epilogue : NULL, &e);
}

typedef struct {
  const float *dy, *pre;
  float *dpre, *dbias;
  int act;
  int64_t m, n;
} dense_bwd_t;

TP_CLONES static void act_grad_span(const void *p, int64_t from, int64_t to) {
  const dense_bwd_t *b = p;
  switch (b->act) {
#define CASE(ACT) \
  case ACT: for (int64_t i = from; i < to; i++) b->dpre[i] = b->dy[i] * act_grad(ACT, b->pre[i]); break;
    CASE(TP_ACT_GELU_TANH)
    CASE(TP_ACT_GELU_ERF)
    CASE(TP_ACT_RELU)
    CASE(TP_ACT_SILU)
#undef CASE
    default: break;
  }
}

/* dbias over a block of columns: sum over all rows, in double */
TP_CLONES static void column_sums(const void *p, int64_t c0, int64_t c1) {
  const dense_bwd_t *b = p;
  double acc[256];
  for (int64_t base = c0; base < c1; base += 256) {
    const int64_t w = c1 - base < 256 ? c1 - base : 256;
    for (int64_t j = 0; j < w; j++) acc[j] = 0.0;
    for (int64_t r = 0; r < b->m; r++) {
      const float *row = b->dpre + r * b->n + base;
      for (int64_t j = 0; j < w; j++) acc[j] += row[j];
    }
    for (int64_t j = 0; j < w; j++) b->dbias[base + j] = (float)acc[j];
  }
}

void tp_dense_bwd(const float *dy, const float *x, const float *w, int trans_w, const float *pre, int act, float *dx,
                  float *dw, float *dbias, float *dpre_scratch, int64_t m, int64_t k, int64_t n) {
  dense_bwd_t b = {dy, pre, dpre_scratch, dbias, act, m, n};
  const float *dpre = dy;
  if (act != TP_ACT_NONE) {
    tp_parallel(m * n, (double)(m * n) * 8.0, act_grad_span, &b);
    dpre = dpre_scratch;
  } else {
    b.dpre = (float *)dy;
  }
  /* dx = dpre op(W)^T and dW = x^T dpre ([k, n]) or dpre^T x ([n, k]), together */
  tp_gemm_t jobs[2];
  int count = 0;
  if (dx) {
    jobs[count++] = trans_w ? (tp_gemm_t){0, 0, 0, m, k, n, n, k, k, 1.0f, 0.0f, dpre, w, dx, NULL, NULL}
                            : (tp_gemm_t){0, 1, 0, m, k, n, n, n, k, 1.0f, 0.0f, dpre, w, dx, NULL, NULL};
  }
  jobs[count++] = trans_w ? (tp_gemm_t){1, 0, 0, n, k, m, n, k, k, 1.0f, 0.0f, dpre, x, dw, NULL, NULL}
                          : (tp_gemm_t){1, 0, 0, k, n, m, k, n, n, 1.0f, 0.0f, x, dpre, dw, NULL, NULL};
  tp_sgemm_jobs(jobs, count);
  if (dbias) tp_parallel_chunks(n, n >= 512 ? 8 : 1, column_sums, &b);
}
