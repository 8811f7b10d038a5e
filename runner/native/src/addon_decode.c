/* N-API glue for incremental decoding (decode.h). Sizes are checked against every array before C
 * reads or writes it. */
#include <math.h>
#include <stdio.h>
#include "decode.h"
#include "napi_util.h"

static float *f32_at(napi_env env, napi_value v, int64_t min, int optional, int *ok) {
  napi_valuetype type;
  if (optional && napi_typeof(env, v, &type) == napi_ok && (type == napi_null || type == napi_undefined)) return NULL;
  typed_t t;
  if (!get_typed(env, v, &t) || !is_f32(&t) || (int64_t)t.length < min) {
    *ok = 0;
    return NULL;
  }
  return t.data;
}

/* attentionCached(q, qOffset, qStride, k, kOffset, kStride, v, vOffset, vStride, kCache, vCache, out,
 *                 cos|null, sin|null, b, t, pos, cap, nh, nkv, hd, scale) */
static napi_value js_attention_cached(napi_env env, napi_callback_info info) {
  napi_value argv[22];
  if (!args_of(env, info, 22, argv)) FAIL("attentionCached: expected 22 arguments");
  int64_t n[9];
  const int idx[9] = {1, 2, 4, 5, 7, 8, 14, 15, 16};
  for (int i = 0; i < 9; i++)
    if (!get_i64(env, argv[idx[i]], &n[i]) || n[i] < 0) FAIL("attentionCached: offsets, strides and sizes must be integers >= 0");
  const int64_t q_off = n[0], q_str = n[1], k_off = n[2], k_str = n[3], v_off = n[4], v_str = n[5];
  const int64_t b = n[6], t = n[7], pos = n[8];
  int64_t cap, nh, nkv, hd;
  double scale;
  if (!get_i64(env, argv[17], &cap) || !get_i64(env, argv[18], &nh) || !get_i64(env, argv[19], &nkv) ||
      !get_i64(env, argv[20], &hd) || napi_get_value_double(env, argv[21], &scale) != napi_ok || !isfinite(scale))
    FAIL("attentionCached: cap, nh, nkv, hd and scale must be numbers");
  if (t < 1 || cap < 1 || nh < 1 || nkv < 1 || hd < 1 || nh % nkv != 0 || pos + t > cap)
    FAIL("attentionCached: need t >= 1, nh a multiple of nkv, and pos + t <= cap");
  if (q_str < nh * hd || k_str < nkv * hd || v_str < nkv * hd)
    FAIL("attentionCached: a row stride is shorter than its heads");
  const int64_t tokens = b * t;
  const int64_t last = tokens > 0 ? tokens - 1 : 0;
  int ok = 1;
  const float *q = f32_at(env, argv[0], q_off + last * q_str + nh * hd, 0, &ok);
  const float *k = f32_at(env, argv[3], k_off + last * k_str + nkv * hd, 0, &ok);
  const float *v = f32_at(env, argv[6], v_off + last * v_str + nkv * hd, 0, &ok);
  float *kc = f32_at(env, argv[9], b * nkv * cap * hd, 0, &ok);
  float *vc = f32_at(env, argv[10], b * nkv * cap * hd, 0, &ok);
  float *out = f32_at(env, argv[11], tokens * nh * hd, 0, &ok);
  const float *cos = f32_at(env, argv[12], (pos + t) * (hd / 2), 1, &ok);
  const float *sin = f32_at(env, argv[13], (pos + t) * (hd / 2), 1, &ok);
  if (!ok) FAIL("attentionCached: an array is not a Float32Array long enough for the given sizes");
  if ((cos == NULL) != (sin == NULL)) FAIL("attentionCached: cos and sin go together");
  if (cos && hd % 2 != 0) FAIL("attentionCached: rotary embeddings need an even head dimension");
  if (tokens == 0) return NULL;
  tp_attention_cached(q + q_off, q_str, k + k_off, k_str, v + v_off, v_str, kc, vc, out, cos, sin, b, t, pos, cap,
                      nh, nkv, hd, (float)scale);
  return NULL;
}

void tp_register_decode(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "attentionCached", NAPI_AUTO_LENGTH, js_attention_cached, NULL, &f) == napi_ok)
    napi_set_named_property(env, exports, "attentionCached", f);
}
