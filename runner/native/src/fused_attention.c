/* Causal self-attention on packed qkv, forward and backward, one (batch, head) or (batch, kv
 * group) per pool task with single-threaded GEMMs on strided views (no head split/merge copies).
 * The causal structure is exploited in row blocks of BLOCK queries: a block only multiplies the
 * keys at or before its last row, which skips about half the work at long contexts. */
#include <stdlib.h>
#include <string.h>
#include "fused.h"
#include "gemm.h"
#include "mathfn.h"
#include "pool.h"

enum { BLOCK = 64 };

typedef struct {
  const float *qkv, *probs_in, *dout, *cos, *sin;
  float *out, *probs, *dqkv;
  int64_t b, t, nh, nkv, hd, s, h;
  float scale;
  int inverse;
} attn_ctx_t;

/* In-place causal softmax of row i (entries 0..i valid), zeros after it. */
TP_CLONES static void causal_softmax_row(float *row, int64_t i, int64_t t) {
  float m = row[0];
  #pragma omp simd reduction(max : m)
  for (int64_t j = 1; j <= i; j++) m = row[j] > m ? row[j] : m;
  float sum = 0.0f;
  #pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j <= i; j++) {
    row[j] = tp_expf(row[j] - m);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j <= i; j++) row[j] *= inv;
  for (int64_t j = i + 1; j < t; j++) row[j] = 0.0f;
}

static void attention_fwd_tasks(const void *p, int64_t from, int64_t to) {
  const attn_ctx_t *a = p;
  const int64_t t = a->t, s = a->s, hd = a->hd, groups = a->nh / a->nkv;
  for (int64_t task = from; task < to; task++) {
    const int64_t bi = task / a->nh, h = task % a->nh, g = h / groups;
    const float *base = a->qkv + bi * t * s;
    const float *q = base + h * hd, *k = base + (a->nh + g) * hd, *v = base + (a->nh + a->nkv + g) * hd;
    float *P = a->probs + task * t * t;
    float *o = a->out + bi * t * a->h + h * hd;
    for (int64_t i0 = 0; i0 < t; i0 += BLOCK) {
      const int64_t i1 = i0 + BLOCK < t ? i0 + BLOCK : t;
      tp_sgemm_serial(0, 1, i1 - i0, i1, hd, a->scale, q + i0 * s, s, k, s, 0.0f, P + i0 * t, t);
      for (int64_t i = i0; i < i1; i++) causal_softmax_row(P + i * t, i, t);
      tp_sgemm_serial(0, 0, i1 - i0, hd, i1, 1.0f, P + i0 * t, t, v, s, 0.0f, o + i0 * a->h, a->h);
    }
  }
}

void tp_attention_fwd(const float *qkv, float *out, float *probs, int64_t b, int64_t t, int64_t nh, int64_t nkv,
                      int64_t hd, float scale) {
  attn_ctx_t a = {.qkv = qkv, .out = out, .probs = probs, .b = b, .t = t, .nh = nh, .nkv = nkv, .hd = hd,
                  .s = (nh + 2 * nkv) * hd, .h = nh * hd, .scale = scale};
  const double flops = 2.0 * (double)b * nh * t * t * hd;
  tp_parallel_chunks(b * nh, flops < 2e6 ? 1 : b * nh, attention_fwd_tasks, &a);
}

/* dS = P * (dP - rowsum(dP * P)) over the valid part of each row of the block, zero after it */
TP_CLONES static void softmax_grad_rows(const float *P, float *dS, int64_t i0, int64_t i1, int64_t t) {
  for (int64_t i = i0; i < i1; i++) {
    const float *pr = P + i * t;
    float *dr = dS + i * t;
    float dot = 0.0f;
    #pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j <= i; j++) dot += pr[j] * dr[j];
    for (int64_t j = 0; j <= i; j++) dr[j] = pr[j] * (dr[j] - dot);
    for (int64_t j = i + 1; j < i1; j++) dr[j] = 0.0f;
  }
}

static void attention_bwd_tasks(const void *p, int64_t from, int64_t to) {
  const attn_ctx_t *a = p;
  const int64_t t = a->t, s = a->s, hd = a->hd, groups = a->nh / a->nkv;
  float *dS = malloc(sizeof(float) * (size_t)(t * t));
  for (int64_t task = from; task < to; task++) {
    const int64_t bi = task / a->nkv, g = task % a->nkv;
    const float *base = a->qkv + bi * t * s;
    float *dbase = a->dqkv + bi * t * s;
    const float *k = base + (a->nh + g) * hd, *v = base + (a->nh + a->nkv + g) * hd;
    float *dk = dbase + (a->nh + g) * hd, *dv = dbase + (a->nh + a->nkv + g) * hd;
    for (int64_t h = g * groups; h < (g + 1) * groups; h++) {
      const float beta = h == g * groups ? 0.0f : 1.0f;
      const float *q = base + h * hd, *dO = a->dout + bi * t * a->h + h * hd;
      const float *P = a->probs_in + (bi * a->nh + h) * t * t;
      float *dq = dbase + h * hd;
      /* dV += P^T dO and dP = dO V^T, block by block */
      for (int64_t j0 = 0; j0 < t; j0 += BLOCK) {
        const int64_t j1 = j0 + BLOCK < t ? j0 + BLOCK : t;
        tp_sgemm_serial(1, 0, j1 - j0, hd, t - j0, 1.0f, P + j0 * t + j0, t, dO + j0 * a->h, a->h, beta, dv + j0 * s, s);
      }
      for (int64_t i0 = 0; i0 < t; i0 += BLOCK) {
        const int64_t i1 = i0 + BLOCK < t ? i0 + BLOCK : t;
        tp_sgemm_serial(0, 1, i1 - i0, i1, hd, 1.0f, dO + i0 * a->h, a->h, v, s, 0.0f, dS + i0 * t, t);
        softmax_grad_rows(P, dS, i0, i1, t);
        /* dQ = scale dS K */
        tp_sgemm_serial(0, 0, i1 - i0, hd, i1, a->scale, dS + i0 * t, t, k, s, 0.0f, dq + i0 * s, s);
      }
      /* dK += scale dS^T Q */
      for (int64_t j0 = 0; j0 < t; j0 += BLOCK) {
        const int64_t j1 = j0 + BLOCK < t ? j0 + BLOCK : t;
        tp_sgemm_serial(1, 0, j1 - j0, hd, t - j0, a->scale, dS + j0 * t + j0, t, q + j0 * s, s, beta, dk + j0 * s, s);
      }
    }
  }
  free(dS);
}

void tp_attention_bwd(const float *dout, const float *qkv, const float *probs, float *dqkv, int64_t b, int64_t t,
                      int64_t nh, int64_t nkv, int64_t hd, float scale) {
  attn_ctx_t a = {.qkv = qkv, .probs_in = probs, .dout = dout, .dqkv = dqkv, .b = b, .t = t, .nh = nh, .nkv = nkv,
                  .hd = hd, .s = (nh + 2 * nkv) * hd, .h = nh * hd, .scale = scale};
  const double flops = 4.0 * (double)b * nh * t * t * hd;
  tp_parallel_chunks(b * nkv, flops < 2e6 ? 1 : b * nkv, attention_bwd_tasks, &a);
}

TP_CLONES static void rope_rows(const void *p, int64_t from, int64_t to) {
  const attn_ctx_t *a = p;
  const int64_t s = a->s, hd = a->hd, half = hd / 2, rotated = a->nh + a->nkv;
  const float sign = a->inverse ? -1.0f : 1.0f;
  for (int64_t r = from; r < to; r++) {
    const float *x = a->qkv + r * s;
    float *y = a->out + r * s;
    const float *c = a->cos + (r % a->t) * half, *sn = a->sin + (r % a->t) * half;
    for (int64_t head = 0; head < rotated; head++) {
      const float *xh = x + head * hd;
      float *yh = y + head * hd;
      for (int64_t i = 0; i < half; i++) {
        const float x1 = xh[i], x2 = xh[i + half], si = sign * sn[i];
        yh[i] = x1 * c[i] - x2 * si;
        yh[i + half] = x2 * c[i] + x1 * si;
      }
    }
    memcpy(y + rotated * hd, x + rotated * hd, sizeof(float) * (size_t)(a->nkv * hd));
  }
}

void tp_rope(const float *qkv, float *out, const float *cos, const float *sin, int64_t rows, int64_t t, int64_t nh,
             int64_t nkv, int64_t hd, int inverse) {
  attn_ctx_t a = {.qkv = qkv, .out = out, .cos = cos, .sin = sin, .t = t, .nh = nh, .nkv = nkv, .hd = hd,
                  .s = (nh + 2 * nkv) * hd, .inverse = inverse};
  tp_parallel(rows, (double)rows * (double)a.s * 2.0, rope_rows, &a);
}
