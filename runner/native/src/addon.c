/* N-API glue: unpacks typed arrays (no copies: C reads and writes the JS buffers in place),
 * validates sizes so a bad call throws instead of corrupting memory, and calls OpenBLAS or
 * the loops in kernels.c. */
#include <malloc.h>
#include <node_api.h>
#include <string.h>
#include "gemm.h"
#include "kernels.h"
#include "napi_util.h"
#include "pool.h"

typedef struct {
  int ta, tb;
  int64_t m, n, k, lda, ldb, as, bs;
  const float *A, *B;
  float *C;
} gemm_batch_t;

static void gemm_batch_range(const void *p, int64_t from, int64_t to) {
  const gemm_batch_t *g = p;
  for (int64_t i = from; i < to; i++)
    tp_sgemm_serial(g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->A + i * g->as, g->lda, g->B + i * g->bs, g->ldb, 0.0f,
                    g->C + i * g->m * g->n, g->n);
}

/* sgemm(transA, transB, batch, m, n, k, a, aBatchStride, b, bBatchStride, c): C[i] = op(A[i]) op(B[i]) */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args_of(env, info, 11, argv)) FAIL("sgemm: expected 11 arguments");
  bool ta, tb;
  int64_t batch, m, n, k, as, bs;
  typed_t a, b, c;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  if (!get_i64(env, argv[2], &batch) || !get_i64(env, argv[3], &m) || !get_i64(env, argv[4], &n) ||
      !get_i64(env, argv[5], &k) || !get_i64(env, argv[7], &as) || !get_i64(env, argv[9], &bs))
    FAIL("sgemm: sizes must be integers");
  if (!get_typed(env, argv[6], &a) || !get_typed(env, argv[8], &b) || !get_typed(env, argv[10], &c) ||
      !is_f32(&a) || !is_f32(&b) || !is_f32(&c))
    FAIL("sgemm: a, b, c must be Float32Array");
  if (batch < 1 || m < 0 || n < 0 || k < 0 || as < 0 || bs < 0 || m > 2147483647 || n > 2147483647 || k > 2147483647)
    FAIL("sgemm: bad sizes");
  if ((int64_t)a.length < (batch - 1) * as + m * k || (int64_t)b.length < (batch - 1) * bs + k * n ||
      (int64_t)c.length < batch * m * n)
    FAIL("sgemm: array too short for the given sizes");
  if (m == 0 || n == 0) return NULL;
  if (k == 0) { memset(c.data, 0, sizeof(float) * (size_t)(batch * m * n)); return NULL; }
  const float *A = a.data, *B = b.data;
  float *C = c.data;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  /* A shared right operand with row-major untransposed A stacks into one tall GEMM (the usual
   * [batch*seq, d] x [d, f] case); otherwise many small products (attention: batch*heads of
   * [T, hd] x [hd, T]) go to the pool one product per task. */
  if (batch == 1 || (bs == 0 && !ta && as == m * k && batch * m <= 2147483647)) {
    tp_sgemm(ta, tb, batch * m, n, k, 1.0f, A, lda, B, ldb, 0.0f, C, n, NULL, NULL);
    return NULL;
  }
  gemm_batch_t g = {ta, tb, m, n, k, lda, ldb, as, bs, A, B, C};
  const double flops = 2.0 * (double)batch * (double)m * (double)n * (double)k;
  tp_parallel_chunks(batch, flops < 4e6 ? 1 : batch, gemm_batch_range, &g);
  return NULL;
}

/* binary(op, a, aStrides, b, bStrides, out, outShape) */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, 7, argv)) FAIL("binary: expected 7 arguments");
  int64_t op, as[TP_MAX_RANK], bs[TP_MAX_RANK], shape[TP_MAX_RANK];
  int ra, rb, rank;
  typed_t a, b, o;
  if (!get_i64(env, argv[0], &op) || op < 0 || op >= TP_BINARY_COUNT) FAIL("binary: bad op");
  if (!get_typed(env, argv[1], &a) || !get_typed(env, argv[3], &b) || !get_typed(env, argv[5], &o) ||
      !is_f32(&a) || !is_f32(&b) || !is_f32(&o))
    FAIL("binary: arrays must be Float32Array");
  if (!get_int_array(env, argv[2], as, TP_MAX_RANK, &ra) || !get_int_array(env, argv[4], bs, TP_MAX_RANK, &rb) ||
      !get_int_array(env, argv[6], shape, TP_MAX_RANK, &rank) || ra != rank || rb != rank)
    FAIL("binary: strides and shape must be arrays of equal rank <= 8");
  int64_t total = 1, amax = 0, bmax = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] < 0 || as[d] < 0 || bs[d] < 0) FAIL("binary: negative size");
    total *= shape[d];
    if (shape[d] > 0) { amax += as[d] * (shape[d] - 1); bmax += bs[d] * (shape[d] - 1); }
  }
  if ((int64_t)o.length < total) FAIL("binary: output too short");
  if (total == 0) return NULL;
  if ((int64_t)a.length <= amax || (int64_t)b.length <= bmax) FAIL("binary: input too short for strides");
  tp_binary((int)op, a.data, as, b.data, bs, o.data, shape, rank);
  return NULL;
}

/* unary(op, x, out) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_of(env, info, 3, argv)) FAIL("unary: expected 3 arguments");
  int64_t op;
  typed_t x, o;
  if (!get_i64(env, argv[0], &op) || op < 0 || op >= TP_UNARY_COUNT) FAIL("unary: bad op");
  if (!get_typed(env, argv[1], &x) || !get_typed(env, argv[2], &o) || !is_f32(&x) || !is_f32(&o) || o.length < x.length)
    FAIL("unary: x and out must be Float32Array, out at least as long");
  tp_unary((int)op, x.data, o.data, (int64_t)x.length);
  return NULL;
}

/* reduce(op, x, out, outer, r, inner) */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, 6, argv)) FAIL("reduce: expected 6 arguments");
  int64_t op, outer, r, inner;
  typed_t x, o;
  if (!get_i64(env, argv[0], &op) || op < 0 || op >= TP_REDUCE_COUNT) FAIL("reduce: bad op");
  if (!get_typed(env, argv[1], &x) || !get_typed(env, argv[2], &o) || !is_f32(&x) || !is_f32(&o))
    FAIL("reduce: arrays must be Float32Array");
  if (!get_i64(env, argv[3], &outer) || !get_i64(env, argv[4], &r) || !get_i64(env, argv[5], &inner) ||
      outer < 0 || r < 1 || inner < 0 || (int64_t)x.length < outer * r * inner || (int64_t)o.length < outer * inner)
    FAIL("reduce: bad sizes");
  if (outer * inner == 0) return NULL;
  tp_reduce((int)op, x.data, o.data, outer, r, inner);
  return NULL;
}

/* transpose(x, out, shape, perm) on any 4-byte element array */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, 4, argv)) FAIL("transpose: expected 4 arguments");
  typed_t x, o;
  int64_t shape[TP_MAX_RANK], perm64[TP_MAX_RANK];
  int rank, prank, perm[TP_MAX_RANK], seen[TP_MAX_RANK] = {0};
  if (!get_typed(env, argv[0], &x) || !get_typed(env, argv[1], &o) || !is_4byte(&x) || !is_4byte(&o))
    FAIL("transpose: arrays must have 4-byte elements");
  if (!get_int_array(env, argv[2], shape, TP_MAX_RANK, &rank) || !get_int_array(env, argv[3], perm64, TP_MAX_RANK, &prank) ||
      prank != rank)
    FAIL("transpose: shape and perm must be arrays of equal rank <= 8");
  int64_t total = 1;
  for (int d = 0; d < rank; d++) {
    if (perm64[d] < 0 || perm64[d] >= rank || seen[perm64[d]]++ || shape[d] < 0) FAIL("transpose: bad perm or shape");
    perm[d] = (int)perm64[d];
    total *= shape[d];
  }
  if ((int64_t)x.length < total || (int64_t)o.length < total) FAIL("transpose: array too short");
  tp_transpose(x.data, o.data, shape, perm, rank);
  return NULL;
}

/* stridedCopy(src, srcOffset, srcStrides, dst, dstOffset, dstRowStride, shape): dst rows of
 * shape[-1] elements every dstRowStride, from src at srcOffset + sum(index * srcStrides) */
static napi_value js_strided_copy(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, 7, argv)) FAIL("stridedCopy: expected 7 arguments");
  typed_t s, d;
  int64_t soff, doff, drow, str[TP_MAX_RANK], shape[TP_MAX_RANK];
  int rs, rank;
  if (!get_typed(env, argv[0], &s) || !get_typed(env, argv[3], &d) || !is_4byte(&s) || !is_4byte(&d))
    FAIL("stridedCopy: arrays must have 4-byte elements");
  if (!get_i64(env, argv[1], &soff) || !get_i64(env, argv[4], &doff) || !get_i64(env, argv[5], &drow) ||
      !get_int_array(env, argv[2], str, TP_MAX_RANK, &rs) || !get_int_array(env, argv[6], shape, TP_MAX_RANK, &rank) ||
      rs != rank || soff < 0 || doff < 0)
    FAIL("stridedCopy: bad offsets, strides or shape");
  int64_t total = 1, smax = soff;
  for (int i = 0; i < rank; i++) {
    if (shape[i] < 0 || str[i] < 0) FAIL("stridedCopy: negative size");
    total *= shape[i];
    if (shape[i] > 0) smax += str[i] * (shape[i] - 1);
  }
  if (total == 0) return NULL;
  const int64_t inner = rank ? shape[rank - 1] : 1, rows = total / inner;
  if (drow < inner || smax >= (int64_t)s.length || doff + (rows - 1) * drow + inner > (int64_t)d.length)
    FAIL("stridedCopy: out of bounds");
  tp_strided_copy((const uint32_t *)s.data + soff, str, (uint32_t *)d.data + doff, drow, shape, rank);
  return NULL;
}

/* softmax(x, out, rows, cols) over the last axis */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, 4, argv)) FAIL("softmax: expected 4 arguments");
  typed_t x, o;
  int64_t rows, cols;
  if (!get_typed(env, argv[0], &x) || !get_typed(env, argv[1], &o) || !is_f32(&x) || !is_f32(&o) ||
      !get_i64(env, argv[2], &rows) || !get_i64(env, argv[3], &cols) || rows < 0 || cols < 1 ||
      (int64_t)x.length < rows * cols || (int64_t)o.length < rows * cols)
    FAIL("softmax: bad arguments");
  tp_softmax(x.data, o.data, rows, cols);
  return NULL;
}

/* gatherRows(table, nrows, indices, out, rowLen) -> -1, or the position of a bad index */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  napi_value argv[5], ret;
  if (!args_of(env, info, 5, argv)) FAIL("gatherRows: expected 5 arguments");
  typed_t t, idx, o;
  int64_t nrows, row_len;
  if (!get_typed(env, argv[0], &t) || !get_typed(env, argv[2], &idx) || !get_typed(env, argv[3], &o) ||
      !is_4byte(&t) || !is_4byte(&o) || idx.type != napi_int32_array || !get_i64(env, argv[1], &nrows) ||
      !get_i64(env, argv[4], &row_len) || nrows < 0 || row_len < 0 || (int64_t)t.length < nrows * row_len ||
      (int64_t)o.length < (int64_t)idx.length * row_len)
    FAIL("gatherRows: bad arguments");
  CHECK(napi_create_int64(env, tp_gather_rows(t.data, nrows, idx.data, (int64_t)idx.length, o.data, row_len), &ret));
  return ret;
}

/* scatterAddRows(x, segmentIds, out, numSegments, rowLen): out[seg[i]] += x[i] */
static napi_value js_scatter_add_rows(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_of(env, info, 5, argv)) FAIL("scatterAddRows: expected 5 arguments");
  typed_t x, idx, o;
  int64_t nseg, row_len;
  if (!get_typed(env, argv[0], &x) || !get_typed(env, argv[1], &idx) || !get_typed(env, argv[2], &o) ||
      !is_f32(&x) || !is_f32(&o) || idx.type != napi_int32_array || !get_i64(env, argv[3], &nseg) ||
      !get_i64(env, argv[4], &row_len) || nseg < 0 || row_len < 0 ||
      (int64_t)x.length < (int64_t)idx.length * row_len || (int64_t)o.length < nseg * row_len)
    FAIL("scatterAddRows: bad arguments");
  tp_scatter_add_rows(x.data, idx.data, (int64_t)idx.length, o.data, nseg, row_len);
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t n;
  if (!args_of(env, info, 1, argv) || !get_i64(env, argv[0], &n) || n < 1 || n > 1024) FAIL("setThreads: bad count");
  /* OpenBLAS stays single-threaded: the pool splits GEMMs itself (see gemm.c). */
  openblas_set_num_threads(1);
  tp_pool_set_threads((int)n);
  return NULL;
}

/* Bytes the C heap has handed out and not had back (glibc mallinfo2: arena + mmapped chunks).
 * Unlike RSS it ignores what the allocator keeps cached, so leak checks can be tight. Tensor
 * data (ArrayBuffer backing stores) is counted here too. */
static napi_value js_heap_bytes(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value ret;
  const struct mallinfo2 mi = mallinfo2();
  CHECK(napi_create_double(env, (double)(mi.uordblks + mi.hblkhd), &ret));
  return ret;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "blasConfig", v));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "blasCore", v));
  CHECK(napi_create_int32(env, tp_pool_threads(), &v));
  CHECK(napi_set_named_property(env, obj, "blasThreads", v));
  return obj;
}

void tp_register_fused(napi_env env, napi_value exports);
void tp_register_decode(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback cb; } fns[] = {
    {"sgemm", js_sgemm}, {"binary", js_binary}, {"unary", js_unary}, {"reduce", js_reduce},
    {"transpose", js_transpose}, {"stridedCopy", js_strided_copy}, {"softmax", js_softmax}, {"gatherRows", js_gather_rows},
    {"scatterAddRows", js_scatter_add_rows}, {"setThreads", js_set_threads}, {"nativeHeapBytes", js_heap_bytes}, {"info", js_info},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    CHECK(napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f));
    CHECK(napi_set_named_property(env, exports, fns[i].name, f));
  }
  tp_register_fused(env, exports);
  tp_register_decode(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
