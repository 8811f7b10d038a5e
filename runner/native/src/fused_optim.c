/* The optimizer update of every parameter in one call (AdamW / Adam / SGD, PyTorch conventions as
 * runner/optim/optimizers.ts documents them), and the sum of squares for global-norm clipping.
 * Work is cut into fixed blocks across all tensors, so both are parallel and deterministic. */
#include <math.h>
#include <stdlib.h>
#include "fused.h"
#include "mathfn.h"
#include "pool.h"

enum { OPT_BLOCK = 16384 };

typedef struct {
  int64_t tensor, from, to;
} block_t;

static block_t *make_blocks(const int64_t *lengths, int64_t count, int64_t *nblocks) {
  int64_t total = 0;
  for (int64_t i = 0; i < count; i++) total += (lengths[i] + OPT_BLOCK - 1) / OPT_BLOCK;
  block_t *blocks = malloc(sizeof(block_t) * (size_t)(total ? total : 1));
  int64_t b = 0;
  for (int64_t i = 0; i < count; i++)
    for (int64_t s = 0; s < lengths[i]; s += OPT_BLOCK)
      blocks[b++] = (block_t){i, s, s + OPT_BLOCK < lengths[i] ? s + OPT_BLOCK : lengths[i]};
  *nblocks = b;
  return blocks;
}

typedef struct {
  const tp_opt_params_t *hp;
  const tp_opt_tensor_t *tensors;
  const block_t *blocks;
  const float *const *arrays;
  double *partial;
} opt_ctx_t;

TP_CLONES static void adam_span(const tp_opt_params_t *hp, const tp_opt_tensor_t *t, int64_t from, int64_t to) {
  const float b1 = hp->beta1, b2 = hp->beta2, lr = hp->lr, eps = hp->eps, scale = hp->grad_scale;
  const float ib1 = 1.0f / hp->bc1, ib2 = 1.0f / hp->bc2;
  const float l2 = hp->kind == TP_OPT_ADAM ? t->decay : 0.0f;
  const float shrink = hp->kind == TP_OPT_ADAMW ? 1.0f - lr * t->decay : 1.0f;
  float *restrict p = t->p, *restrict m = t->m, *restrict v = t->v;
  const float *restrict g0 = t->g;
  for (int64_t i = from; i < to; i++) {
    const float g = g0[i] * scale + l2 * p[i];
    const float mi = b1 * m[i] + (1.0f - b1) * g;
    const float vi = b2 * v[i] + (1.0f - b2) * (g * g);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * shrink - lr * (mi * ib1) / (sqrtf(vi * ib2) + eps);
  }
}

TP_CLONES static void sgd_span(const tp_opt_params_t *hp, const tp_opt_tensor_t *t, int64_t from, int64_t to) {
  float *restrict p = t->p, *restrict buf = t->m;
  const float *restrict g0 = t->g;
  for (int64_t i = from; i < to; i++) {
    const float b = hp->momentum * buf[i] + (g0[i] * hp->grad_scale + t->decay * p[i]);
    buf[i] = b;
    p[i] -= hp->lr * b;
  }
}

static void opt_blocks(const void *p, int64_t from, int64_t to) {
  const opt_ctx_t *c = p;
  for (int64_t b = from; b < to; b++) {
    const block_t *blk = &c->blocks[b];
    const tp_opt_tensor_t *t = &c->tensors[blk->tensor];
    if (c->hp->kind == TP_OPT_SGD) sgd_span(c->hp, t, blk->from, blk->to);
    else adam_span(c->hp, t, blk->from, blk->to);
  }
}

void tp_optimizer_step(const tp_opt_params_t *hp, const tp_opt_tensor_t *tensors, int64_t count) {
  int64_t *lengths = malloc(sizeof(int64_t) * (size_t)(count ? count : 1));
  for (int64_t i = 0; i < count; i++) lengths[i] = tensors[i].n;
  int64_t nblocks;
  block_t *blocks = make_blocks(lengths, count, &nblocks);
  opt_ctx_t c = {.hp = hp, .tensors = tensors, .blocks = blocks};
  tp_parallel(nblocks, (double)nblocks * OPT_BLOCK * 2.0, opt_blocks, &c);
  free(blocks);
  free(lengths);
}

TP_CLONES static double sumsq_span(const float *restrict x, int64_t from, int64_t to) {
  double s = 0.0;
  #pragma omp simd reduction(+ : s)
  for (int64_t i = from; i < to; i++) s += (double)x[i] * (double)x[i];
  return s;
}

static void sumsq_blocks(const void *p, int64_t from, int64_t to) {
  const opt_ctx_t *c = p;
  for (int64_t b = from; b < to; b++) {
    const block_t *blk = &c->blocks[b];
    c->partial[b] = sumsq_span(c->arrays[blk->tensor], blk->from, blk->to);
  }
}

double tp_sum_squares(const float *const *arrays, const int64_t *lengths, int64_t count) {
  int64_t nblocks;
  block_t *blocks = make_blocks(lengths, count, &nblocks);
  double *partial = calloc((size_t)(nblocks ? nblocks : 1), sizeof(double));
  opt_ctx_t c = {.blocks = blocks, .arrays = arrays, .partial = partial};
  tp_parallel(nblocks, (double)nblocks * OPT_BLOCK, sumsq_blocks, &c);
  double s = 0.0;
  for (int64_t b = 0; b < nblocks; b++) s += partial[b];
  free(partial);
  free(blocks);
  return s;
}
