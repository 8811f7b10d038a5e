/* Layer norm, RMSNorm and SwiGLU, forward and backward. Per-row statistics accumulate in double;
 * the weight gradients (sums over rows) are per-chunk partials combined in chunk order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fused.h"
#include "mathfn.h"
#include "pool.h"

/* Row-parallel jobs split into this many chunks (fixed, so partial sums are deterministic). */
static int64_t row_chunks(int64_t rows, int64_t c) {
  const double work = (double)rows * (double)c;
  if (work < 32768) return 1;
  int64_t k = 16;
  return k > rows ? rows : k;
}

typedef struct {
  const float *x, *g, *b, *dy, *stats;
  float *y, *out_stats, *dx;
  double *partial; /* [chunks][2c]: dg then db (or dw) */
  int64_t rows, c, chunks;
  float eps;
} norm_ctx_t;

TP_CLONES static void layernorm_fwd_rows(const void *p, int64_t from, int64_t to) {
  const norm_ctx_t *k = p;
  const int64_t c = k->c;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->x + r * c;
    float *y = k->y + r * c;
    double s = 0.0;
    #pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < c; i++) s += x[i];
    const float mean = (float)(s / (double)c);
    double v = 0.0;
    #pragma omp simd reduction(+ : v)
    for (int64_t i = 0; i < c; i++) {
      const double d = (double)(x[i] - mean);
      v += d * d;
    }
    const float rstd = (float)(1.0 / sqrt(v / (double)c + (double)k->eps));
    for (int64_t i = 0; i < c; i++) y[i] = (x[i] - mean) * rstd * k->g[i] + k->b[i];
    k->out_stats[2 * r] = mean;
    k->out_stats[2 * r + 1] = rstd;
  }
}

void tp_layernorm_fwd(const float *x, const float *g, const float *b, float *y, float *stats, int64_t rows, int64_t c,
                      float eps) {
  norm_ctx_t k = {.x = x, .g = g, .b = b, .y = y, .out_stats = stats, .rows = rows, .c = c, .eps = eps};
  tp_parallel_chunks(rows, row_chunks(rows, c), layernorm_fwd_rows, &k);
}

static int64_t chunk_of(const norm_ctx_t *k, int64_t from) { return tp_chunk_index(k->rows, k->chunks, from); }

TP_CLONES static void layernorm_bwd_rows(const void *p, int64_t from, int64_t to) {
  const norm_ctx_t *k = p;
  const int64_t c = k->c;
  double *dg = k->partial + chunk_of(k, from) * 2 * c, *db = dg + c;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->x + r * c, *dy = k->dy + r * c;
    float *dx = k->dx + r * c;
    const float mean = k->stats[2 * r], rstd = k->stats[2 * r + 1];
    float sum_d = 0.0f, sum_dn = 0.0f;
    #pragma omp simd reduction(+ : sum_d, sum_dn)
    for (int64_t i = 0; i < c; i++) {
      const float n = (x[i] - mean) * rstd;
      const float d = k->g[i] * dy[i];
      sum_d += d;
      sum_dn += d * n;
      dg[i] += (double)(dy[i] * n);
      db[i] += (double)dy[i];
    }
    const float md = sum_d / (float)c, mdn = sum_dn / (float)c;
    for (int64_t i = 0; i < c; i++) {
      const float n = (x[i] - mean) * rstd;
      dx[i] = (k->g[i] * dy[i] - md - n * mdn) * rstd;
    }
  }
}

/* Sums the per-chunk partials [chunks][2c] into out0 [c] (and out1 [c] when not NULL). */
static void combine(const double *partial, int64_t chunks, int64_t c, float *out0, float *out1) {
  for (int64_t i = 0; i < c; i++) {
    double a = 0.0, b = 0.0;
    for (int64_t j = 0; j < chunks; j++) {
      a += partial[j * 2 * c + i];
      b += partial[j * 2 * c + c + i];
    }
    out0[i] = (float)a;
    if (out1) out1[i] = (float)b;
  }
}

void tp_layernorm_bwd(const float *dy, const float *x, const float *g, const float *stats, float *dx, float *dg,
                      float *db, int64_t rows, int64_t c) {
  norm_ctx_t k = {.x = x, .g = g, .dy = dy, .stats = stats, .dx = dx, .rows = rows, .c = c};
  k.chunks = row_chunks(rows, c);
  k.partial = calloc((size_t)(k.chunks * 2 * c), sizeof(double));
  tp_parallel_chunks(rows, k.chunks, layernorm_bwd_rows, &k);
  combine(k.partial, k.chunks, c, dg, db);
  free(k.partial);
}

TP_CLONES static void rmsnorm_fwd_rows(const void *p, int64_t from, int64_t to) {
  const norm_ctx_t *k = p;
  const int64_t c = k->c;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->x + r * c;
    float *y = k->y + r * c;
    double s = 0.0;
    #pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < c; i++) s += (double)x[i] * x[i];
    const float rstd = (float)(1.0 / sqrt(s / (double)c + (double)k->eps));
    for (int64_t i = 0; i < c; i++) y[i] = k->g[i] * (x[i] * rstd);
    k->out_stats[r] = rstd;
  }
}

void tp_rmsnorm_fwd(const float *x, const float *w, float *y, float *rstd, int64_t rows, int64_t c, float eps) {
  norm_ctx_t k = {.x = x, .g = w, .y = y, .out_stats = rstd, .rows = rows, .c = c, .eps = eps};
  tp_parallel_chunks(rows, row_chunks(rows, c), rmsnorm_fwd_rows, &k);
}

TP_CLONES static void rmsnorm_bwd_rows(const void *p, int64_t from, int64_t to) {
  const norm_ctx_t *k = p;
  const int64_t c = k->c;
  double *dw = k->partial + chunk_of(k, from) * 2 * c;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->x + r * c, *dy = k->dy + r * c;
    float *dx = k->dx + r * c;
    const float rstd = k->stats[r];
    /* y_i = w_i x_i r, r = (mean x^2 + eps)^-1/2: dx_j = r (w_j dy_j - x_j r^2 mean_i(w_i dy_i x_i)) */
    float s = 0.0f;
    #pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < c; i++) {
      s += k->g[i] * dy[i] * x[i];
      dw[i] += (double)(dy[i] * x[i] * rstd);
    }
    const float coef = rstd * rstd * s / (float)c;
    for (int64_t i = 0; i < c; i++) dx[i] = rstd * (k->g[i] * dy[i] - x[i] * coef);
  }
}

void tp_rmsnorm_bwd(const float *dy, const float *x, const float *w, const float *rstd, float *dx, float *dw,
                    int64_t rows, int64_t c) {
  norm_ctx_t k = {.x = x, .g = w, .dy = dy, .stats = rstd, .dx = dx, .rows = rows, .c = c};
  k.chunks = row_chunks(rows, c);
  k.partial = calloc((size_t)(k.chunks * 2 * c), sizeof(double));
  tp_parallel_chunks(rows, k.chunks, rmsnorm_bwd_rows, &k);
  combine(k.partial, k.chunks, c, dw, NULL);
  free(k.partial);
}

typedef struct {
  const float *gate, *up, *dout;
  float *out, *dgate, *dup;
} swiglu_ctx_t;

TP_CLONES static void swiglu_fwd_span(const void *p, int64_t from, int64_t to) {
  const swiglu_ctx_t *k = p;
  for (int64_t i = from; i < to; i++) {
    const float g = k->gate[i];
    k->out[i] = g * tp_sigmoidf(g) * k->up[i];
  }
}

void tp_swiglu_fwd(const float *gate, const float *up, float *out, int64_t n) {
  swiglu_ctx_t k = {.gate = gate, .up = up, .out = out};
  tp_parallel(n, (double)n * 2.0, swiglu_fwd_span, &k);
}

TP_CLONES static void swiglu_bwd_span(const void *p, int64_t from, int64_t to) {
  const swiglu_ctx_t *k = p;
  for (int64_t i = from; i < to; i++) {
    const float g = k->gate[i], s = tp_sigmoidf(g), d = k->dout[i];
    k->dup[i] = d * g * s;
    k->dgate[i] = d * k->up[i] * s * (1.0f + g * (1.0f - s));
  }
}

void tp_swiglu_bwd(const float *dout, const float *gate, const float *up, float *dgate, float *dup, int64_t n) {
  swiglu_ctx_t k = {.gate = gate, .up = up, .dout = dout, .dgate = dgate, .dup = dup};
  tp_parallel(n, (double)n * 2.0, swiglu_bwd_span, &k);
}
