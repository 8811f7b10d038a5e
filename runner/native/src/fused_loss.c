/* Softmax cross-entropy over the vocabulary (forward: log-sum-exp, loss, argmax hits; backward:
 * softmax minus one-hot in one pass) and the token + position embedding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fused.h"
#include "mathfn.h"
#include "pool.h"

enum { XENT_CHUNKS = 32 };

typedef struct {
  const float *logits, *mask, *lse_in;
  const int32_t *targets;
  float *lse, *dlogits, *dmask;
  double *loss_part, *correct_part;
  float dloss;
  int64_t rows, v;
} xent_ctx_t;

TP_CLONES static float row_lse(const float *x, int64_t v, int64_t *argmax) {
  float m = x[0];
  #pragma omp simd reduction(max : m)
  for (int64_t j = 1; j < v; j++) m = x[j] > m ? x[j] : m;
  int64_t am = 0;
  while (am < v - 1 && x[am] != m) am++; /* the first maximum, as tfjs's argMax */
  float s = 0.0f;
  #pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < v; j++) s += tp_expf(x[j] - m);
  *argmax = am;
  return m + logf(s);
}

static void xent_fwd_chunk(const void *p, int64_t from, int64_t to) {
  const xent_ctx_t *k = p;
  double loss = 0.0, correct = 0.0;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->logits + r * k->v;
    int64_t am;
    const float lse = row_lse(x, k->v, &am);
    k->lse[r] = lse;
    const int32_t target = k->targets[r];
    if (target < 0 || target >= k->v) continue;
    const double w = k->mask ? k->mask[r] : 1.0;
    loss += w * ((double)lse - (double)x[target]);
    if (am == target) correct += w;
  }
  const int64_t c = k->rows >= XENT_CHUNKS ? tp_chunk_index(k->rows, XENT_CHUNKS, from) : 0;
  k->loss_part[c] = loss;
  k->correct_part[c] = correct;
}

void tp_xent_fwd(const float *logits, const int32_t *targets, const float *mask, float *lse, double *loss,
                 double *correct, int64_t rows, int64_t v) {
  double lp[XENT_CHUNKS] = {0}, cp[XENT_CHUNKS] = {0};
  xent_ctx_t k = {.logits = logits, .mask = mask, .targets = targets, .lse = lse, .loss_part = lp, .correct_part = cp,
                  .rows = rows, .v = v};
  /* fixed chunking (partials are summed in order) whenever rows allow; tiny inputs run as one */
  const int64_t chunks = rows >= XENT_CHUNKS ? XENT_CHUNKS : 1;
  tp_parallel_chunks(rows, chunks, xent_fwd_chunk, &k);
  double l = 0.0, c = 0.0;
  for (int i = 0; i < XENT_CHUNKS; i++) { l += lp[i]; c += cp[i]; }
  *loss = l;
  *correct = c;
}

TP_CLONES static void xent_bwd_rows(const void *p, int64_t from, int64_t to) {
  const xent_ctx_t *k = p;
  for (int64_t r = from; r < to; r++) {
    const float *x = k->logits + r * k->v;
    float *d = k->dlogits + r * k->v;
    const int32_t target = k->targets[r];
    const float w = (k->mask ? k->mask[r] : 1.0f) * k->dloss;
    const int valid = target >= 0 && target < k->v;
    const float lse = k->lse_in[r];
    if (k->dmask) k->dmask[r] = valid ? k->dloss * (lse - x[target]) : 0.0f;
    if (!valid || w == 0.0f) {
      memset(d, 0, sizeof(float) * (size_t)k->v);
      continue;
    }
    for (int64_t j = 0; j < k->v; j++) d[j] = w * tp_expf(x[j] - lse);
    d[target] -= w;
  }
}

void tp_xent_bwd(const float *logits, const int32_t *targets, const float *mask, const float *lse, float dloss,
                 float *dlogits, float *dmask, int64_t rows, int64_t v) {
  xent_ctx_t k = {.logits = logits, .mask = mask, .targets = targets, .lse_in = lse, .dlogits = dlogits,
                  .dmask = dmask, .dloss = dloss, .rows = rows, .v = v};
  tp_parallel(rows, (double)rows * (double)v * 2.0, xent_bwd_rows, &k);
}

typedef struct {
  const int32_t *ids;
  const float *wte, *wpe, *dout;
  float *out, *dwte, *dwpe;
  int64_t vocab, npos, rows, t, h;
} embed_ctx_t;

static void embed_fwd_rows(const void *p, int64_t from, int64_t to) {
  const embed_ctx_t *k = p;
  for (int64_t r = from; r < to; r++) {
    const float *e = k->wte + (int64_t)k->ids[r] * k->h;
    float *o = k->out + r * k->h;
    if (k->wpe) {
      const float *pe = k->wpe + (r % k->t) * k->h;
      for (int64_t i = 0; i < k->h; i++) o[i] = e[i] + pe[i];
    } else {
      memcpy(o, e, sizeof(float) * (size_t)k->h);
    }
  }
}

int64_t tp_embed_fwd(const int32_t *ids, const float *wte, int64_t vocab, const float *wpe, float *out, int64_t rows,
                     int64_t t, int64_t h) {
  for (int64_t r = 0; r < rows; r++)
    if (ids[r] < 0 || ids[r] >= vocab) return r;
  embed_ctx_t k = {.ids = ids, .wte = wte, .wpe = wpe, .out = out, .vocab = vocab, .rows = rows, .t = t, .h = h};
  tp_parallel(rows, (double)rows * (double)h, embed_fwd_rows, &k);
  return -1;
}

/* Each chunk owns a band of columns of dwte/dwpe, so rows scatter without races. */
static void embed_bwd_cols(const void *p, int64_t c0, int64_t c1) {
  const embed_ctx_t *k = p;
  const int64_t w = c1 - c0;
  for (int64_t v = 0; v < k->vocab; v++) memset(k->dwte + v * k->h + c0, 0, sizeof(float) * (size_t)w);
  if (k->dwpe)
    for (int64_t q = 0; q < k->npos; q++) memset(k->dwpe + q * k->h + c0, 0, sizeof(float) * (size_t)w);
  for (int64_t r = 0; r < k->rows; r++) {
    const float *d = k->dout + r * k->h + c0;
    float *dst = k->dwte + (int64_t)k->ids[r] * k->h + c0;
    for (int64_t i = 0; i < w; i++) dst[i] += d[i];
    if (k->dwpe) {
      float *pe = k->dwpe + (r % k->t) * k->h + c0;
      for (int64_t i = 0; i < w; i++) pe[i] += d[i];
    }
  }
}

void tp_embed_bwd(const int32_t *ids, const float *dout, float *dwte, int64_t vocab, float *dwpe, int64_t npos,
                  int64_t rows, int64_t t, int64_t h) {
  embed_ctx_t k = {.ids = ids, .dout = dout, .dwte = dwte, .dwpe = dwpe, .vocab = vocab, .npos = npos, .rows = rows,
                   .t = t, .h = h};
  const int64_t chunks = h >= 64 ? h / 32 : 1;
  tp_parallel_chunks(h, chunks > 16 ? 16 : chunks, embed_bwd_cols, &k);
}
