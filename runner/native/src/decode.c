/* Attention over a key/value cache for incremental decoding (decode.h). One pool task per
 * (row, key/value head): the query heads sharing that key/value head are stacked into one GEMM
 * against the cached keys, so a decode step is two small GEMMs per task and no copies of the
 * cache. */
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "gemm.h"
#include "mathfn.h"
#include "pool.h"

typedef struct {
  const float *q, *cos, *sin;
  const float *k_cache, *v_cache;
  float *out;
  int64_t q_stride, b, t, pos, cap, nh, nkv, hd;
  float scale;
} cached_ctx_t;

/* x (hd floats) rotated by position p's angles into y; y may not alias x. */
static void rope_head(const float *x, float *y, const float *cos, const float *sin, int64_t p, int64_t hd) {
  const int64_t half = hd / 2;
  const float *c = cos + p * half, *s = sin + p * half;
  for (int64_t i = 0; i < half; i++) {
    const float x1 = x[i], x2 = x[i + half];
    y[i] = x1 * c[i] - x2 * s[i];
    y[i + half] = x2 * c[i] + x1 * s[i];
  }
}

/* Row r of `rows` scores sees entries 0..limit; softmax over them in place, zeros after. */
TP_CLONES static void masked_softmax_row(float *row, int64_t limit, int64_t len) {
  float m = row[0];
  for (int64_t j = 1; j <= limit; j++) m = row[j] > m ? row[j] : m;
  float sum = 0.0f;
  for (int64_t j = 0; j <= limit; j++) {
    row[j] = tp_expf(row[j] - m);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j <= limit; j++) row[j] *= inv;
  for (int64_t j = limit + 1; j < len; j++) row[j] = 0.0f;
}

static void cached_tasks(const void *p, int64_t from, int64_t to) {
  const cached_ctx_t *a = p;
  const int64_t t = a->t, hd = a->hd, groups = a->nh / a->nkv, len = a->pos + t, rows = groups * t;
  /* stacked queries [groups * t, hd], scores [groups * t, len], outputs [groups * t, hd] */
  float *qs = malloc(sizeof(float) * (size_t)(rows * hd));
  float *scores = malloc(sizeof(float) * (size_t)(rows * len));
  float *os = malloc(sizeof(float) * (size_t)(rows * hd));
  for (int64_t task = from; task < to; task++) {
    const int64_t bi = task / a->nkv, g = task % a->nkv;
    for (int64_t j = 0; j < groups; j++) {
      const int64_t h = g * groups + j;
      for (int64_t i = 0; i < t; i++) {
        const float *src = a->q + (bi * t + i) * a->q_stride + h * hd;
        float *dst = qs + (j * t + i) * hd;
        if (a->cos) rope_head(src, dst, a->cos, a->sin, a->pos + i, hd);
        else memcpy(dst, src, sizeof(float) * (size_t)hd);
      }
    }
    const float *kc = a->k_cache + (bi * a->nkv + g) * a->cap * hd;
    const float *vc = a->v_cache + (bi * a->nkv + g) * a->cap * hd;
    tp_sgemm_serial(0, 1, rows, len, hd, a->scale, qs, hd, kc, hd, 0.0f, scores, len);
    for (int64_t j = 0; j < groups; j++)
      for (int64_t i = 0; i < t; i++) masked_softmax_row(scores + (j * t + i) * len, a->pos + i, len);
    tp_sgemm_serial(0, 0, rows, hd, len, 1.0f, scores, len, vc, hd, 0.0f, os, hd);
    for (int64_t j = 0; j < groups; j++) {
      const int64_t h = g * groups + j;
      for (int64_t i = 0; i < t; i++)
        memcpy(a->out + (bi * t + i) * a->nh * hd + h * hd, os + (j * t + i) * hd, sizeof(float) * (size_t)hd);
    }
  }
  free(qs);
  free(scores);
  free(os);
}

void tp_attention_cached(const float *q, int64_t q_stride, const float *k, int64_t k_stride, const float *v,
                         int64_t v_stride, float *k_cache, float *v_cache, float *out, const float *cos,
                         const float *sin, int64_t b, int64_t t, int64_t pos, int64_t cap, int64_t nh, int64_t nkv,
                         int64_t hd, float scale) {
  /* The new keys and values into the cache first: every task then reads a complete prefix. */
  for (int64_t bi = 0; bi < b; bi++)
    for (int64_t g = 0; g < nkv; g++)
      for (int64_t i = 0; i < t; i++) {
        const float *ks = k + (bi * t + i) * k_stride + g * hd, *vs = v + (bi * t + i) * v_stride + g * hd;
        float *kd = k_cache + ((bi * nkv + g) * cap + pos + i) * hd;
        float *vd = v_cache + ((bi * nkv + g) * cap + pos + i) * hd;
        if (cos) rope_head(ks, kd, cos, sin, pos + i, hd);
        else memcpy(kd, ks, sizeof(float) * (size_t)hd);
        memcpy(vd, vs, sizeof(float) * (size_t)hd);
      }
  cached_ctx_t a = {.q = q, .cos = cos, .sin = sin, .k_cache = k_cache, .v_cache = v_cache, .out = out,
                    .q_stride = q_stride, .b = b, .t = t, .pos = pos, .cap = cap, .nh = nh, .nkv = nkv, .hd = hd,
                    .scale = scale};
  const double flops = 4.0 * (double)b * nh * t * (double)(pos + t) * hd;
  tp_parallel_chunks(b * nkv, flops < 2e6 ? 1 : b * nkv, cached_tasks, &a);
}
