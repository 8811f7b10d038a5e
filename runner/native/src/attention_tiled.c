/* Memory-efficient exact causal attention (the CPU analogue of FlashAttention-2, Dao 2023) on the
 * packed qkv layout of fused_attention.c. The forward pass walks the keys in tiles with an online
 * softmax (a running maximum and sum per query row) and keeps only the output and each row's
 * log-sum-exp; the backward pass recomputes each tile's probabilities from that log-sum-exp. No
 * T x T matrix exists at any point: per (batch, head) the scratch is two tiles and one row vector,
 * so memory is O(T d) where the plain kernel saves b nh T^2 probabilities for the backward pass.
 *
 * Query i sees the contiguous keys [lo_i, i], lo_i = max(0, i - window + 1) with a sliding window
 * (window 0: lo_i = 0), with ALiBi's bias -slope_h (i - j) added to the scores when slopes are
 * given. Tiles wholly outside every row's range are never visited, so a window also bounds time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fused.h"
#include "gemm.h"
#include "mathfn.h"
#include "pool.h"

/* Queries x keys per tile: large enough that each GEMM amortises OpenBLAS's call overhead, small
 * enough that the tiles of S, Q, K and V stay in L2. */
enum { BQ = 64, BK = 128 };

typedef struct {
  const float *qkv, *out_in, *lse_in, *dout, *slopes;
  float *out, *lse, *dqkv;
  int64_t b, t, nh, nkv, hd, s, h, window;
  float scale;
} tiled_ctx_t;

static inline int64_t first_key(const tiled_ctx_t *a, int64_t i) {
  return a->window > 0 && i - a->window + 1 > 0 ? i - a->window + 1 : 0;
}

/* Row r (query i) of a tile of scaled scores over keys [j0, j0 + nk): biased scores turned into
 * exp(score - sub) inside the row's visible range, zeros outside it. Returns the visible count. */
TP_CLONES static int64_t tile_row_exp(const tiled_ctx_t *a, float *row, int64_t i, int64_t j0, int64_t nk, float slope,
                                      float sub) {
  const int64_t lo = first_key(a, i) - j0 > 0 ? first_key(a, i) - j0 : 0;
  const int64_t hi = i - j0 + 1 < nk ? i - j0 + 1 : nk;
  for (int64_t c = 0; c < lo && c < nk; c++) row[c] = 0.0f;
  for (int64_t c = hi > 0 ? hi : 0; c < nk; c++) row[c] = 0.0f;
  if (hi <= lo) return 0;
  #pragma omp simd
  for (int64_t c = lo; c < hi; c++) row[c] = tp_expf(row[c] - slope * (float)(i - j0 - c) - sub);
  return hi - lo;
}

/* The largest biased score of row r over its visible range (-INFINITY when none is visible). */
TP_CLONES static float tile_row_max(const tiled_ctx_t *a, const float *row, int64_t i, int64_t j0, int64_t nk,
                                    float slope) {
  const int64_t lo = first_key(a, i) - j0 > 0 ? first_key(a, i) - j0 : 0;
  const int64_t hi = i - j0 + 1 < nk ? i - j0 + 1 : nk;
  float m = -INFINITY;
  for (int64_t c = lo; c < hi; c++) {
    const float x = row[c] - slope * (float)(i - j0 - c);
    m = x > m ? x : m;
  }
  return m;
}

static void tiled_fwd_tasks(const void *p, int64_t from, int64_t to) {
  const tiled_ctx_t *a = p;
  const int64_t t = a->t, s = a->s, hd = a->hd, groups = a->nh / a->nkv;
  float *S = malloc(sizeof(float) * BQ * BK);
  float m[BQ], l[BQ];
  for (int64_t task = from; task < to; task++) {
    const int64_t bi = task / a->nh, h = task % a->nh, g = h / groups;
    const float *base = a->qkv + bi * t * s;
    const float *q = base + h * hd, *k = base + (a->nh + g) * hd, *v = base + (a->nh + a->nkv + g) * hd;
    const float slope = a->slopes ? a->slopes[h] : 0.0f;
    float *o = a->out + bi * t * a->h + h * hd;
    for (int64_t i0 = 0; i0 < t; i0 += BQ) {
      const int64_t i1 = i0 + BQ < t ? i0 + BQ : t, nq = i1 - i0;
      for (int64_t r = 0; r < nq; r++) {
        memset(o + (i0 + r) * a->h, 0, sizeof(float) * (size_t)hd);
        m[r] = -INFINITY;
        l[r] = 0.0f;
      }
      for (int64_t j0 = first_key(a, i0); j0 < i1; j0 += BK) {
        const int64_t nk = j0 + BK < i1 ? BK : i1 - j0;
        tp_sgemm_serial(0, 1, nq, nk, hd, a->scale, q + i0 * s, s, k + j0 * s, s, 0.0f, S, BK);
        for (int64_t r = 0; r < nq; r++) {
          const int64_t i = i0 + r;
          float *row = S + r * BK;
          const float mx = tile_row_max(a, row, i, j0, nk, slope);
          const float mnew = mx > m[r] ? mx : m[r];
          if (mnew == -INFINITY) { /* nothing visible yet: the row contributes zeros */
            memset(row, 0, sizeof(float) * (size_t)nk);
            continue;
          }
          tile_row_exp(a, row, i, j0, nk, slope, mnew);
          float sum = 0.0f;
          #pragma omp simd reduction(+ : sum)
          for (int64_t c = 0; c < nk; c++) sum += row[c];
          if (l[r] > 0.0f && mnew > m[r]) {
            const float corr = tp_expf(m[r] - mnew);
            float *orow = o + i * a->h;
            for (int64_t d = 0; d < hd; d++) orow[d] *= corr;
            l[r] *= corr;
          }
          l[r] += sum;
          m[r] = mnew;
        }
        tp_sgemm_serial(0, 0, nq, hd, nk, 1.0f, S, BK, v + j0 * s, s, 1.0f, o + i0 * a->h, a->h);
      }
      for (int64_t r = 0; r < nq; r++) {
        const float inv = 1.0f / l[r];
        float *orow = o + (i0 + r) * a->h;
        for (int64_t d = 0; d < hd; d++) orow[d] *= inv;
        a->lse[task * t + i0 + r] = m[r] + logf(l[r]);
      }
    }
  }
  free(S);
}

void tp_attention_tiled_fwd(const float *qkv, float *out, float *lse, int64_t b, int64_t t, int64_t nh, int64_t nkv,
                            int64_t hd, float scale, int64_t window, const float *slopes) {
  tiled_ctx_t a = {.qkv = qkv, .out = out, .lse = lse, .slopes = slopes, .b = b, .t = t, .nh = nh, .nkv = nkv,
                   .hd = hd, .s = (nh + 2 * nkv) * hd, .h = nh * hd, .window = window, .scale = scale};
  const double span = window > 0 && window < t ? (double)window : (double)t / 2;
  const double flops = 4.0 * (double)b * nh * t * span * hd;
  tp_parallel_chunks(b * nh, flops < 2e6 ? 1 : b * nh, tiled_fwd_tasks, &a);
}

static void zero_rows(float *x, int64_t rows, int64_t stride, int64_t n) {
  for (int64_t r = 0; r < rows; r++) memset(x + r * stride, 0, sizeof(float) * (size_t)n);
}

static void tiled_bwd_tasks(const void *p, int64_t from, int64_t to) {
  const tiled_ctx_t *a = p;
  const int64_t t = a->t, s = a->s, hd = a->hd, groups = a->nh / a->nkv;
  float *P = malloc(sizeof(float) * BQ * BK), *dS = malloc(sizeof(float) * BQ * BK);
  float *D = malloc(sizeof(float) * (size_t)t);
  for (int64_t task = from; task < to; task++) {
    const int64_t bi = task / a->nkv, g = task % a->nkv;
    const float *base = a->qkv + bi * t * s;
    float *dbase = a->dqkv + bi * t * s;
    const float *k = base + (a->nh + g) * hd, *v = base + (a->nh + a->nkv + g) * hd;
    float *dk = dbase + (a->nh + g) * hd, *dv = dbase + (a->nh + a->nkv + g) * hd;
    zero_rows(dk, t, s, hd);
    zero_rows(dv, t, s, hd);
    for (int64_t h = g * groups; h < (g + 1) * groups; h++) {
      const float *q = base + h * hd, *dO = a->dout + bi * t * a->h + h * hd, *O = a->out_in + bi * t * a->h + h * hd;
      const float *lse = a->lse_in + (bi * a->nh + h) * t;
      const float slope = a->slopes ? a->slopes[h] : 0.0f;
      float *dq = dbase + h * hd;
      zero_rows(dq, t, s, hd);
      /* D_i = dO_i . O_i = sum_j P_ij dP_ij, the softmax gradient's row term */
      for (int64_t i = 0; i < t; i++) {
        float dot = 0.0f;
        for (int64_t d = 0; d < hd; d++) dot += dO[i * a->h + d] * O[i * a->h + d];
        D[i] = dot;
      }
      for (int64_t j0 = 0; j0 < t; j0 += BK) {
        const int64_t nk = j0 + BK < t ? BK : t - j0;
        /* queries that see any key of the tile: from j0 up to the last one whose window reaches j0 + nk - 1 */
        const int64_t iend = a->window > 0 && j0 + nk - 1 + a->window < t ? j0 + nk - 1 + a->window : t;
        for (int64_t i0 = j0; i0 < iend; i0 += BQ) {
          const int64_t nq = i0 + BQ < iend ? BQ : iend - i0;
          tp_sgemm_serial(0, 1, nq, nk, hd, a->scale, q + i0 * s, s, k + j0 * s, s, 0.0f, P, BK);
          for (int64_t r = 0; r < nq; r++) tile_row_exp(a, P + r * BK, i0 + r, j0, nk, slope, lse[i0 + r]);
          /* dV += P^T dO; dP = dO V^T */
          tp_sgemm_serial(1, 0, nk, hd, nq, 1.0f, P, BK, dO + i0 * a->h, a->h, 1.0f, dv + j0 * s, s);
          tp_sgemm_serial(0, 1, nq, nk, hd, 1.0f, dO + i0 * a->h, a->h, v + j0 * s, s, 0.0f, dS, BK);
          for (int64_t r = 0; r < nq; r++) {
            const float *pr = P + r * BK;
            float *dr = dS + r * BK;
            const float di = D[i0 + r];
            #pragma omp simd
            for (int64_t c = 0; c < nk; c++) dr[c] = pr[c] * (dr[c] - di);
          }
          /* dQ += scale dS K; dK += scale dS^T Q */
          tp_sgemm_serial(0, 0, nq, hd, nk, a->scale, dS, BK, k + j0 * s, s, 1.0f, dq + i0 * s, s);
          tp_sgemm_serial(1, 0, nk, hd, nq, a->scale, dS, BK, q + i0 * s, s, 1.0f, dk + j0 * s, s);
        }
      }
    }
  }
  free(P);
  free(dS);
  free(D);
}

void tp_attention_tiled_bwd(const float *dout, const float *qkv, const float *out, const float *lse, float *dqkv,
                            int64_t b, int64_t t, int64_t nh, int64_t nkv, int64_t hd, float scale, int64_t window,
                            const float *slopes) {
  tiled_ctx_t a = {.qkv = qkv, .out_in = out, .lse_in = lse, .dout = dout, .dqkv = dqkv, .slopes = slopes, .b = b,
                   .t = t, .nh = nh, .nkv = nkv, .hd = hd, .s = (nh + 2 * nkv) * hd, .h = nh * hd, .window = window,
                   .scale = scale};
  const double span = window > 0 && window < t ? (double)window : (double)t / 2;
  const double flops = 10.0 * (double)b * nh * t * span * hd;
  tp_parallel_chunks(b * nkv, flops < 2e6 ? 1 : b * nkv, tiled_bwd_tasks, &a);
}
