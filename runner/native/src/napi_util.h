/* N-API helpers shared by the glue files: typed arrays are read in place (no copies) and every
 * size is validated before C touches memory, so a bad call throws instead of corrupting it. */
#ifndef TUNEPLANE_NAPI_UTIL_H
#define TUNEPLANE_NAPI_UTIL_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "tuneplane native: N-API call failed: " #call); return NULL; } } while (0)
#define FAIL(msg) do { napi_throw_error(env, NULL, msg); return NULL; } while (0)

typedef struct { void *data; size_t length; napi_typedarray_type type; } typed_t;

static inline int get_typed(napi_env env, napi_value v, typed_t *t) {
  bool ok = false;
  if (napi_is_typedarray(env, v, &ok) != napi_ok || !ok) return 0;
  napi_value ab; size_t off;
  return napi_get_typedarray_info(env, v, &t->type, &t->length, &t->data, &ab, &off) == napi_ok;
}

static inline int is_f32(const typed_t *t) { return t->type == napi_float32_array; }
static inline int is_4byte(const typed_t *t) {
  return t->type == napi_float32_array || t->type == napi_int32_array || t->type == napi_uint32_array;
}

static inline int get_i64(napi_env env, napi_value v, int64_t *out) { return napi_get_value_int64(env, v, out) == napi_ok; }

static inline int get_int_array(napi_env env, napi_value v, int64_t *out, int max, int *len) {
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok || (int)n > max) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !get_i64(env, e, &out[i])) return 0;
  }
  *len = (int)n;
  return 1;
}

static inline napi_value args_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) return NULL;
  return argv[0];
}

#endif
