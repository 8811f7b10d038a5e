/* N-API glue for the fused sub-layer kernels (fused.h). Every array is checked for type and
 * length against the sizes given before any C code reads or writes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "fused.h"
#include "napi_util.h"

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  const char *fn;
  int failed;
} call_t;

static int open_call(napi_env env, napi_callback_info info, size_t want, const char *fn, call_t *c) {
  c->env = env;
  c->fn = fn;
  c->failed = 0;
  c->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc != want) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: expected %zu arguments", fn, want);
    napi_throw_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static void fail(call_t *c, const char *what, size_t i) {
  if (c->failed) return;
  char msg[200];
  snprintf(msg, sizeof msg, "%s: argument %zu %s", c->fn, i, what);
  napi_throw_error(c->env, NULL, msg);
  c->failed = 1;
}

static int is_null(call_t *c, size_t i) {
  napi_valuetype t;
  return napi_typeof(c->env, c->argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

static int64_t int_arg(call_t *c, size_t i, int64_t lo) {
  int64_t v = 0;
  if (!get_i64(c->env, c->argv[i], &v) || v < lo) fail(c, "must be an integer in range", i);
  return v;
}

static double num_arg(call_t *c, size_t i) {
  double v = 0;
  if (napi_get_value_double(c->env, c->argv[i], &v) != napi_ok || !isfinite(v)) fail(c, "must be a finite number", i);
  return v;
}

/* A Float32Array of at least `min` elements (or NULL when `optional` and null/undefined). */
static float *f32_arg(call_t *c, size_t i, int64_t min, int optional) {
  if (c->failed) return NULL;
  if (optional && is_null(c, i)) return NULL;
  typed_t t;
  if (!get_typed(c->env, c->argv[i], &t) || !is_f32(&t)) {
    fail(c, "must be a Float32Array", i);
    return NULL;
  }
  if ((int64_t)t.length < min) {
    fail(c, "is too short for the given sizes", i);
    return NULL;
  }
  return t.data;
}

static int32_t *i32_arg(call_t *c, size_t i, int64_t min) {
  if (c->failed) return NULL;
  typed_t t;
  if (!get_typed(c->env, c->argv[i], &t) || t.type != napi_int32_array || (int64_t)t.length < min) {
    fail(c, "must be an Int32Array long enough for the given sizes", i);
    return NULL;
  }
  return t.data;
}

static napi_value js_layernorm_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 8, "layerNormFwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 5, 0), n = int_arg(&c, 6, 1);
  const float eps = (float)num_arg(&c, 7);
  const float *x = f32_arg(&c, 0, rows * n, 0), *g = f32_arg(&c, 1, n, 0), *b = f32_arg(&c, 2, n, 0);
  float *y = f32_arg(&c, 3, rows * n, 0), *stats = f32_arg(&c, 4, 2 * rows, 0);
  if (!c.failed) tp_layernorm_fwd(x, g, b, y, stats, rows, n, eps);
  return NULL;
}

static napi_value js_layernorm_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 9, "layerNormBwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 7, 0), n = int_arg(&c, 8, 1);
  const float *dy = f32_arg(&c, 0, rows * n, 0), *x = f32_arg(&c, 1, rows * n, 0), *g = f32_arg(&c, 2, n, 0);
  const float *stats = f32_arg(&c, 3, 2 * rows, 0);
  float *dx = f32_arg(&c, 4, rows * n, 0), *dg = f32_arg(&c, 5, n, 0), *db = f32_arg(&c, 6, n, 0);
  if (!c.failed) tp_layernorm_bwd(dy, x, g, stats, dx, dg, db, rows, n);
  return NULL;
}

static napi_value js_rmsnorm_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 7, "rmsNormFwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 4, 0), n = int_arg(&c, 5, 1);
  const float eps = (float)num_arg(&c, 6);
  const float *x = f32_arg(&c, 0, rows * n, 0), *w = f32_arg(&c, 1, n, 0);
  float *y = f32_arg(&c, 2, rows * n, 0), *rstd = f32_arg(&c, 3, rows, 0);
  if (!c.failed) tp_rmsnorm_fwd(x, w, y, rstd, rows, n, eps);
  return NULL;
}

static napi_value js_rmsnorm_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 8, "rmsNormBwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 6, 0), n = int_arg(&c, 7, 1);
  const float *dy = f32_arg(&c, 0, rows * n, 0), *x = f32_arg(&c, 1, rows * n, 0), *w = f32_arg(&c, 2, n, 0);
  const float *rstd = f32_arg(&c, 3, rows, 0);
  float *dx = f32_arg(&c, 4, rows * n, 0), *dw = f32_arg(&c, 5, n, 0);
  if (!c.failed) tp_rmsnorm_bwd(dy, x, w, rstd, dx, dw, rows, n);
  return NULL;
}

/* denseFwd(x, w, transW, bias|null, residual|null, act, y, pre|null, m, k, n) */
static napi_value js_dense_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 11, "denseFwd", &c)) return NULL;
  const int64_t m = int_arg(&c, 8, 0), k = int_arg(&c, 9, 1), n = int_arg(&c, 10, 1);
  const int trans = (int)int_arg(&c, 2, 0), act = (int)int_arg(&c, 5, 0);
  if (act >= TP_ACT_COUNT) fail(&c, "is not an activation", 5);
  const float *x = f32_arg(&c, 0, m * k, 0), *w = f32_arg(&c, 1, k * n, 0);
  const float *bias = f32_arg(&c, 3, n, 1), *res = f32_arg(&c, 4, m * n, 1);
  float *y = f32_arg(&c, 6, m * n, 0), *pre = f32_arg(&c, 7, m * n, act == TP_ACT_NONE);
  if (!c.failed) tp_dense_fwd(x, w, trans, bias, res, act, y, pre, m, k, n);
  return NULL;
}

/* denseBwd(dy, x, w, transW, pre|null, act, dx|null, dw, dbias|null, scratch|null, m, k, n) */
static napi_value js_dense_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 13, "denseBwd", &c)) return NULL;
  const int64_t m = int_arg(&c, 10, 0), k = int_arg(&c, 11, 1), n = int_arg(&c, 12, 1);
  const int trans = (int)int_arg(&c, 3, 0), act = (int)int_arg(&c, 5, 0);
  if (act >= TP_ACT_COUNT) fail(&c, "is not an activation", 5);
  const int plain = act == TP_ACT_NONE;
  const float *dy = f32_arg(&c, 0, m * n, 0), *x = f32_arg(&c, 1, m * k, 0), *w = f32_arg(&c, 2, k * n, 0);
  const float *pre = f32_arg(&c, 4, m * n, plain);
  float *dx = f32_arg(&c, 6, m * k, 1), *dw = f32_arg(&c, 7, k * n, 0), *db = f32_arg(&c, 8, n, 1);
  float *scratch = f32_arg(&c, 9, m * n, plain);
  if (!c.failed) tp_dense_bwd(dy, x, w, trans, pre, act, dx, dw, db, scratch, m, k, n);
  return NULL;
}

static int attn_sizes(call_t *c, size_t at, int64_t *b, int64_t *t, int64_t *nh, int64_t *nkv, int64_t *hd) {
  *b = int_arg(c, at, 0);
  *t = int_arg(c, at + 1, 1);
  *nh = int_arg(c, at + 2, 1);
  *nkv = int_arg(c, at + 3, 1);
  *hd = int_arg(c, at + 4, 1);
  if (!c->failed && *nh % *nkv != 0) fail(c, "(query heads) must be a multiple of the key/value heads", at + 2);
  return !c->failed;
}

/* attentionFwd(qkv, out, probs, b, t, nh, nkv, hd, scale) */
static napi_value js_attention_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  int64_t b, t, nh, nkv, hd;
  if (!open_call(env, info, 9, "attentionFwd", &c) || !attn_sizes(&c, 3, &b, &t, &nh, &nkv, &hd)) return NULL;
  const float scale = (float)num_arg(&c, 8);
  const float *qkv = f32_arg(&c, 0, b * t * (nh + 2 * nkv) * hd, 0);
  float *out = f32_arg(&c, 1, b * t * nh * hd, 0), *probs = f32_arg(&c, 2, b * nh * t * t, 0);
  if (!c.failed) tp_attention_fwd(qkv, out, probs, b, t, nh, nkv, hd, scale);
  return NULL;
}

/* attentionBwd(dout, qkv, probs, dqkv, b, t, nh, nkv, hd, scale) */
static napi_value js_attention_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  int64_t b, t, nh, nkv, hd;
  if (!open_call(env, info, 10, "attentionBwd", &c) || !attn_sizes(&c, 4, &b, &t, &nh, &nkv, &hd)) return NULL;
  const float scale = (float)num_arg(&c, 9);
  const int64_t packed = b * t * (nh + 2 * nkv) * hd;
  const float *dout = f32_arg(&c, 0, b * t * nh * hd, 0), *qkv = f32_arg(&c, 1, packed, 0);
  const float *probs = f32_arg(&c, 2, b * nh * t * t, 0);
  float *dqkv = f32_arg(&c, 3, packed, 0);
  if (!c.failed) tp_attention_bwd(dout, qkv, probs, dqkv, b, t, nh, nkv, hd, scale);
  return NULL;
}

/* tiledAttentionFwd(qkv, out, lse, b, t, nh, nkv, hd, scale, window, slopes | null) */
static napi_value js_tiled_attention_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  int64_t b, t, nh, nkv, hd;
  if (!open_call(env, info, 11, "tiledAttentionFwd", &c) || !attn_sizes(&c, 3, &b, &t, &nh, &nkv, &hd)) return NULL;
  const float scale = (float)num_arg(&c, 8);
  const int64_t window = int_arg(&c, 9, 0);
  const float *qkv = f32_arg(&c, 0, b * t * (nh + 2 * nkv) * hd, 0), *slopes = f32_arg(&c, 10, nh, 1);
  float *out = f32_arg(&c, 1, b * t * nh * hd, 0), *lse = f32_arg(&c, 2, b * nh * t, 0);
  if (!c.failed) tp_attention_tiled_fwd(qkv, out, lse, b, t, nh, nkv, hd, scale, window, slopes);
  return NULL;
}

/* tiledAttentionBwd(dout, qkv, out, lse, dqkv, b, t, nh, nkv, hd, scale, window, slopes | null) */
static napi_value js_tiled_attention_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  int64_t b, t, nh, nkv, hd;
  if (!open_call(env, info, 13, "tiledAttentionBwd", &c) || !attn_sizes(&c, 5, &b, &t, &nh, &nkv, &hd)) return NULL;
  const float scale = (float)num_arg(&c, 10);
  const int64_t window = int_arg(&c, 11, 0), packed = b * t * (nh + 2 * nkv) * hd;
  const float *dout = f32_arg(&c, 0, b * t * nh * hd, 0), *qkv = f32_arg(&c, 1, packed, 0);
  const float *out = f32_arg(&c, 2, b * t * nh * hd, 0), *lse = f32_arg(&c, 3, b * nh * t, 0);
  const float *slopes = f32_arg(&c, 12, nh, 1);
  float *dqkv = f32_arg(&c, 4, packed, 0);
  if (!c.failed) tp_attention_tiled_bwd(dout, qkv, out, lse, dqkv, b, t, nh, nkv, hd, scale, window, slopes);
  return NULL;
}

/* rope(qkv, out, cos, sin, rows, t, nh, nkv, hd, inverse) */
static napi_value js_rope(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 10, "rope", &c)) return NULL;
  const int64_t rows = int_arg(&c, 4, 0), t = int_arg(&c, 5, 1), nh = int_arg(&c, 6, 1), nkv = int_arg(&c, 7, 1);
  const int64_t hd = int_arg(&c, 8, 2);
  const int inverse = (int)int_arg(&c, 9, 0);
  if (hd % 2) fail(&c, "(head dim) must be even", 8);
  const int64_t s = (nh + 2 * nkv) * hd;
  const float *qkv = f32_arg(&c, 0, rows * s, 0), *cs = f32_arg(&c, 2, t * hd / 2, 0), *sn = f32_arg(&c, 3, t * hd / 2, 0);
  float *out = f32_arg(&c, 1, rows * s, 0);
  if (!c.failed) tp_rope(qkv, out, cs, sn, rows, t, nh, nkv, hd, inverse);
  return NULL;
}

static napi_value js_swiglu_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 4, "swigluFwd", &c)) return NULL;
  const int64_t n = int_arg(&c, 3, 0);
  const float *g = f32_arg(&c, 0, n, 0), *u = f32_arg(&c, 1, n, 0);
  float *o = f32_arg(&c, 2, n, 0);
  if (!c.failed) tp_swiglu_fwd(g, u, o, n);
  return NULL;
}

static napi_value js_swiglu_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 6, "swigluBwd", &c)) return NULL;
  const int64_t n = int_arg(&c, 5, 0);
  const float *d = f32_arg(&c, 0, n, 0), *g = f32_arg(&c, 1, n, 0), *u = f32_arg(&c, 2, n, 0);
  float *dg = f32_arg(&c, 3, n, 0), *du = f32_arg(&c, 4, n, 0);
  if (!c.failed) tp_swiglu_bwd(d, g, u, dg, du, n);
  return NULL;
}

/* xentFwd(logits, targets, mask|null, lse, result Float64Array(2): [loss, correct], rows, v) */
static napi_value js_xent_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 7, "xentFwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 5, 0), v = int_arg(&c, 6, 1);
  const float *logits = f32_arg(&c, 0, rows * v, 0), *mask = f32_arg(&c, 2, rows, 1);
  const int32_t *targets = i32_arg(&c, 1, rows);
  float *lse = f32_arg(&c, 3, rows, 0);
  typed_t result;
  if (!c.failed && (!get_typed(env, c.argv[4], &result) || result.type != napi_float64_array || result.length < 2))
    fail(&c, "must be a Float64Array(2)", 4);
  if (c.failed) return NULL;
  double *out = result.data;
  tp_xent_fwd(logits, targets, mask, lse, &out[0], &out[1], rows, v);
  return NULL;
}

/* xentBwd(logits, targets, mask|null, lse, dloss, dlogits, dmask|null, rows, v) */
static napi_value js_xent_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 9, "xentBwd", &c)) return NULL;
  const int64_t rows = int_arg(&c, 7, 0), v = int_arg(&c, 8, 1);
  const float dloss = (float)num_arg(&c, 4);
  const float *logits = f32_arg(&c, 0, rows * v, 0), *mask = f32_arg(&c, 2, rows, 1), *lse = f32_arg(&c, 3, rows, 0);
  const int32_t *targets = i32_arg(&c, 1, rows);
  float *d = f32_arg(&c, 5, rows * v, 0), *dmask = f32_arg(&c, 6, rows, 1);
  if (!c.failed) tp_xent_bwd(logits, targets, mask, lse, dloss, d, dmask, rows, v);
  return NULL;
}

/* embedFwd(ids, wte, vocab, wpe|null, out, rows, t, h) -> -1 or the row of the first bad id */
static napi_value js_embed_fwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 8, "embedFwd", &c)) return NULL;
  const int64_t vocab = int_arg(&c, 2, 1), rows = int_arg(&c, 5, 0), t = int_arg(&c, 6, 1), h = int_arg(&c, 7, 1);
  const int32_t *ids = i32_arg(&c, 0, rows);
  const float *wte = f32_arg(&c, 1, vocab * h, 0), *wpe = f32_arg(&c, 3, t * h, 1);
  float *out = f32_arg(&c, 4, rows * h, 0);
  if (c.failed) return NULL;
  napi_value ret;
  CHECK(napi_create_int64(env, tp_embed_fwd(ids, wte, vocab, wpe, out, rows, t, h), &ret));
  return ret;
}

/* embedBwd(ids, dout, dwte, vocab, dwpe|null, npos, rows, t, h); ids must be in range (checked forward) */
static napi_value js_embed_bwd(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 9, "embedBwd", &c)) return NULL;
  const int64_t vocab = int_arg(&c, 3, 1), npos = int_arg(&c, 5, 0), rows = int_arg(&c, 6, 0);
  const int64_t t = int_arg(&c, 7, 1), h = int_arg(&c, 8, 1);
  if (!c.failed && !is_null(&c, 4) && npos < t) fail(&c, "(positions) must cover the sequence", 5);
  const int32_t *ids = i32_arg(&c, 0, rows);
  const float *dout = f32_arg(&c, 1, rows * h, 0);
  float *dwte = f32_arg(&c, 2, vocab * h, 0), *dwpe = f32_arg(&c, 4, npos * h, 1);
  if (c.failed) return NULL;
  for (int64_t r = 0; r < rows; r++)
    if (ids[r] < 0 || ids[r] >= vocab) FAIL("embedBwd: token id out of range");
  tp_embed_bwd(ids, dout, dwte, vocab, dwpe, npos, rows, t, h);
  return NULL;
}

/* Reads a JS array of Float32Arrays into pointers and lengths. */
static int f32_list(call_t *c, size_t i, float **ptrs, int64_t *lens, uint32_t want) {
  uint32_t n;
  if (napi_get_array_length(c->env, c->argv[i], &n) != napi_ok || n != want) {
    fail(c, "must be an array with one Float32Array per parameter", i);
    return 0;
  }
  for (uint32_t j = 0; j < n; j++) {
    napi_value e;
    typed_t t;
    if (napi_get_element(c->env, c->argv[i], j, &e) != napi_ok || !get_typed(c->env, e, &t) || !is_f32(&t)) {
      fail(c, "must hold Float32Arrays only", i);
      return 0;
    }
    ptrs[j] = t.data;
    lens[j] = (int64_t)t.length;
  }
  return 1;
}

/* optimizerStep(kind, hyper Float64Array [lr, beta1, beta2, eps, momentum, bc1, bc2, gradScale],
 *               params[], grads[], m[], v[] (empty for SGD), decay Float32Array) */
static napi_value js_optimizer_step(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 7, "optimizerStep", &c)) return NULL;
  const int kind = (int)int_arg(&c, 0, 0);
  if (kind > TP_OPT_SGD) fail(&c, "is not an optimizer kind", 0);
  typed_t hyper, decay;
  if (!get_typed(env, c.argv[1], &hyper) || hyper.type != napi_float64_array || hyper.length < 8)
    fail(&c, "must be a Float64Array of 8 settings", 1);
  if (!get_typed(env, c.argv[6], &decay) || !is_f32(&decay)) fail(&c, "must be a Float32Array", 6);
  if (c.failed) return NULL;
  const uint32_t count = (uint32_t)decay.length;
  float **ptrs = calloc((size_t)count * 4 + 1, sizeof(float *));
  int64_t *lens = calloc((size_t)count * 4 + 1, sizeof(int64_t));
  tp_opt_tensor_t *ts = calloc((size_t)count + 1, sizeof(tp_opt_tensor_t));
  const int sgd = kind == TP_OPT_SGD;
  int ok = f32_list(&c, 2, ptrs, lens, count) && f32_list(&c, 3, ptrs + count, lens + count, count) &&
           f32_list(&c, 4, ptrs + 2 * count, lens + 2 * count, count) &&
           (sgd || f32_list(&c, 5, ptrs + 3 * count, lens + 3 * count, count));
  for (uint32_t j = 0; ok && j < count; j++) {
    const int64_t n = lens[j];
    if (lens[count + j] != n || lens[2 * count + j] != n || (!sgd && lens[3 * count + j] != n)) {
      fail(&c, "(parameters, gradients and state) must have equal lengths", 2);
      ok = 0;
    }
    ts[j] = (tp_opt_tensor_t){ptrs[j], ptrs[count + j], ptrs[2 * count + j], sgd ? NULL : ptrs[3 * count + j], n,
                              ((float *)decay.data)[j]};
  }
  if (ok) {
    const double *h = hyper.data;
    const tp_opt_params_t hp = {kind, (float)h[0], (float)h[1], (float)h[2], (float)h[3], (float)h[4],
                                (float)h[5], (float)h[6], (float)h[7]};
    tp_optimizer_step(&hp, ts, count);
  }
  free(ptrs);
  free(lens);
  free(ts);
  return NULL;
}

/* sumSquares(arrays[]) -> sum of x^2 over every element, in double */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  call_t c;
  if (!open_call(env, info, 1, "sumSquares", &c)) return NULL;
  uint32_t n;
  if (napi_get_array_length(env, c.argv[0], &n) != napi_ok) FAIL("sumSquares: expected an array of Float32Arrays");
  float **ptrs = calloc((size_t)n + 1, sizeof(float *));
  int64_t *lens = calloc((size_t)n + 1, sizeof(int64_t));
  napi_value ret = NULL;
  if (f32_list(&c, 0, ptrs, lens, n)) {
    const double s = tp_sum_squares((const float *const *)ptrs, lens, n);
    if (napi_create_double(env, s, &ret) != napi_ok) ret = NULL;
  }
  free(ptrs);
  free(lens);
  return ret;
}

void tp_register_fused(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {
      {"layerNormFwd", js_layernorm_fwd}, {"layerNormBwd", js_layernorm_bwd}, {"rmsNormFwd", js_rmsnorm_fwd},
      {"rmsNormBwd", js_rmsnorm_bwd},     {"denseFwd", js_dense_fwd},         {"denseBwd", js_dense_bwd},
      {"attentionFwd", js_attention_fwd}, {"attentionBwd", js_attention_bwd}, {"rope", js_rope},
      {"tiledAttentionFwd", js_tiled_attention_fwd}, {"tiledAttentionBwd", js_tiled_attention_bwd},
      {"swigluFwd", js_swiglu_fwd},       {"swigluBwd", js_swiglu_bwd},       {"xentFwd", js_xent_fwd},
      {"xentBwd", js_xent_bwd},           {"embedFwd", js_embed_fwd},         {"embedBwd", js_embed_bwd},
      {"optimizerStep", js_optimizer_step}, {"sumSquares", js_sum_squares},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f) == napi_ok)
      napi_set_named_property(env, exports, fns[i].name, f);
  }
}
