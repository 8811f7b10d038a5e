/* Compute loops for the native tfjs cpu kernels. Numerics follow the pure-JS cpu backend:
 * it computes in double and stores float32, so sums accumulate in double here too, and
 * + - * / of two float32 values rounded once to float32 equal the double-then-round result. */
#include "kernels.h"
#include "pool.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Runtime dispatch: an AVX2 clone where the CPU has it, baseline x86-64 otherwise, so the
 * binary built on one machine runs on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TP_CLONES
#endif

/* exp in double, written so gcc vectorizes it (libm's exp/expf/tanhf are scalar calls of
 * 10-40 ns): range reduction y = k ln2 + r, |r| <= ln2/2, degree-11 Taylor polynomial
 * (truncation < 7e-15 relative), 2^k built from the exponent bits. Results are then rounded to
 * float32, so they match the pure-JS backend's Math.exp-then-store to within 1 ulp. */
static inline double tp_exp_d(double y) {
  y = y < -708.0 ? -708.0 : y;
  y = y > 709.0 ? 709.0 : y;
  const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
  const double kd = y * 1.4426950408889634 + shift;
  const double k = kd - shift;
  int64_t kbits, sbits;
  memcpy(&kbits, &kd, sizeof kbits);
  memcpy(&sbits, &shift, sizeof sbits);
  double r = y - k * 6.93147180369123816490e-01;
  r = r - k * 1.90821492927058770002e-10;
  const double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 +
    r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800)))))))))));
  const int64_t ebits = (kbits - sbits + 1023) << 52;
  double scale;
  memcpy(&scale, &ebits, sizeof scale);
  return p * scale;
}

static inline float tp_tanh(float x) {
  double ax = fabs((double)x);
  ax = ax > 20.0 ? 20.0 : ax; /* tanh(20) is 1 in float32 */
  const double e = tp_exp_d(-2.0 * ax);
  /* below 1e-4, 1 - e loses the digits float32 needs; the series is exact enough there */
  const double t = ax < 1e-4 ? ax * (1.0 - ax * ax / 3.0) : (1.0 - e) / (1.0 + e);
  return (float)(x < 0.0f ? -t : t);
}

static inline float tp_pow(float x, float y) {
  /* the common scalar exponents exactly as double arithmetic gives them */
  if (y == 2.0f) return (float)((double)x * x);
  if (y == 3.0f) return (float)((double)x * x * x);
  return (float)pow((double)x, (double)y);
}

#define BIN_LOOP(EXPR)                                                              \
  do {                                                                              \
    if (sa == 1 && sb == 1) for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); } \
    else if (sa == 1 && sb == 0) { float y = b[0]; for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); } } \
    else if (sa == 0 && sb == 1) { float x = a[0]; for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); } } \
    else for (int64_t i = 0; i < n; i++) { float x = a[i * sa], y = b[i * sb]; o[i] = (EXPR); } \
  } while (0)

TP_CLONES static void binary_row(int op, const float *restrict a, int64_t sa, const float *restrict b,
                                 int64_t sb, float *restrict o, int64_t n) {
  switch (op) {
    case TP_ADD: BIN_LOOP(x + y); break;
    case TP_SUB: BIN_LOOP(x - y); break;
    case TP_MUL: BIN_LOOP(x * y); break;
    case TP_DIV: BIN_LOOP(x / y); break;
    /* tfjs: Math.max/min propagate NaN */
    case TP_MAX: BIN_LOOP((x != x || y != y) ? NAN : (x > y ? x : y)); break;
    case TP_MIN: BIN_LOOP((x != x || y != y) ? NAN : (x < y ? x : y)); break;
    case TP_SQDIFF: BIN_LOOP((x - y) * (x - y)); break;
    /* double pow rounded once to float32, as Math.pow then Float32Array store */
    case TP_POW: BIN_LOOP(tp_pow(x, y)); break;
    default: break;
  }
}

/* Merge adjacent dimensions that are contiguous for a, b and out alike, so broadcasting a
 * [8,128,256] tensor against [256] becomes one [1024, 256] loop. */
static int coalesce(int64_t *shape, int64_t *as, int64_t *bs, int rank) {
  int r = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (r > 0 && as[r - 1] == as[d] * shape[d] && bs[r - 1] == bs[d] * shape[d]) {
      shape[r - 1] *= shape[d];
      as[r - 1] = as[d];
      bs[r - 1] = bs[d];
    } else {
      shape[r] = shape[d]; as[r] = as[d]; bs[r] = bs[d]; r++;
    }
  }
  if (r == 0) { shape[0] = 1; as[0] = 0; bs[0] = 0; r = 1; }
  return r;
}

typedef struct {
  int op, rank;
  const float *a, *b;
  float *out;
  int64_t shape[TP_MAX_RANK], as[TP_MAX_RANK], bs[TP_MAX_RANK], inner;
} binary_ctx_t;

/* rows [from, to) of the coalesced [outer, inner] view */
static void binary_rows(const void *p, int64_t from, int64_t to) {
  const binary_ctx_t *c = p;
  const int rank = c->rank;
  int64_t idx[TP_MAX_RANK] = {0}, ao = 0, bo = 0, r = from;
  for (int d = rank - 2; d >= 0; d--) {
    idx[d] = r % c->shape[d];
    r /= c->shape[d];
    ao += idx[d] * c->as[d];
    bo += idx[d] * c->bs[d];
  }
  for (int64_t row = from; row < to; row++) {
    binary_row(c->op, c->a + ao, c->as[rank - 1], c->b + bo, c->bs[rank - 1], c->out + row * c->inner, c->inner);
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++; ao += c->as[d]; bo += c->bs[d];
      if (idx[d] < c->shape[d]) break;
      ao -= c->as[d] * c->shape[d]; bo -= c->bs[d] * c->shape[d]; idx[d] = 0;
    }
  }
}

/* elements [from, to) of a single coalesced row */
static void binary_span(const void *p, int64_t from, int64_t to) {
  const binary_ctx_t *c = p;
  const int64_t sa = c->as[0], sb = c->bs[0];
  binary_row(c->op, c->a + from * sa, sa, c->b + from * sb, sb, c->out + from, to - from);
}

static double op_cost(int op) { return op == TP_POW ? 8.0 : 1.0; }

void tp_binary(int op, const float *a, const int64_t *astr, const float *b, const int64_t *bstr,
               float *out, const int64_t *shape_in, int rank) {
  binary_ctx_t c = {.op = op, .a = a, .b = b, .out = out};
  for (int d = 0; d < rank; d++) { c.shape[d] = shape_in[d]; c.as[d] = astr[d]; c.bs[d] = bstr[d]; }
  if (rank == 0) { c.shape[0] = 1; c.as[0] = 0; c.bs[0] = 0; rank = 1; }
  c.rank = coalesce(c.shape, c.as, c.bs, rank);
  c.inner = c.shape[c.rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < c.rank - 1; d++) outer *= c.shape[d];
  const double work = (double)outer * (double)c.inner * op_cost(op);
  if (outer == 1) tp_parallel(c.inner, work, binary_span, &c);
  else tp_parallel(outer, work, binary_rows, &c);
}

TP_CLONES static void unary_loop(int op, const float *restrict x, float *restrict o, int64_t n) {
  switch (op) {
    case TP_EXP: for (int64_t i = 0; i < n; i++) o[i] = (float)tp_exp_d(x[i]); break;
    case TP_LOG: for (int64_t i = 0; i < n; i++) o[i] = logf(x[i]); break;
    case TP_TANH: for (int64_t i = 0; i < n; i++) o[i] = tp_tanh(x[i]); break;
    case TP_SQRT: for (int64_t i = 0; i < n; i++) o[i] = sqrtf(x[i]); break;
    case TP_RSQRT: for (int64_t i = 0; i < n; i++) o[i] = (float)(1.0 / sqrt((double)x[i])); break;
    case TP_NEG: for (int64_t i = 0; i < n; i++) o[i] = -x[i]; break;
    case TP_SQUARE: for (int64_t i = 0; i < n; i++) o[i] = x[i] * x[i]; break;
    /* tfjs Relu keeps NaN: x < 0 ? 0 : x */
    case TP_RELU: for (int64_t i = 0; i < n; i++) o[i] = x[i] < 0.0f ? 0.0f : x[i]; break;
    case TP_ABS: for (int64_t i = 0; i < n; i++) o[i] = fabsf(x[i]); break;
    case TP_SIGMOID: for (int64_t i = 0; i < n; i++) o[i] = (float)(1.0 / (1.0 + tp_exp_d(-(double)x[i]))); break;
    case TP_RECIPROCAL: for (int64_t i = 0; i < n; i++) o[i] = (float)(1.0 / (double)x[i]); break;
    default: break;
  }
}

typedef struct { int op; const float *x; float *o; } unary_ctx_t;
static void unary_span(const void *p, int64_t from, int64_t to) {
  const unary_ctx_t *c = p;
  unary_loop(c->op, c->x + from, c->o + from, to - from);
}

void tp_unary(int op, const float *x, float *o, int64_t n) {
  const unary_ctx_t c = {op, x, o};
  const double cost = (op == TP_EXP || op == TP_LOG || op == TP_TANH || op == TP_SIGMOID) ? 8.0 : 1.0;
  tp_parallel(n, (double)n * cost, unary_span, &c);
}

TP_CLONES static void add_row_d(double *restrict acc, const float *restrict x, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] += x[i];
}

void tp_reduce(int op, const float *x, float *out, int64_t outer, int64_t r, int64_t inner) {
  if (op == TP_RSUM || op == TP_RMEAN) {
    double *acc = (double *)malloc(sizeof(double) * (size_t)inner);
    for (int64_t o = 0; o < outer; o++) {
      const float *base = x + o * r * inner;
      if (inner == 1) {
        double s = 0.0;
        for (int64_t k = 0; k < r; k++) s += base[k];
        acc[0] = s;
      } else {
        memset(acc, 0, sizeof(double) * (size_t)inner);
        for (int64_t k = 0; k < r; k++) add_row_d(acc, base + k * inner, inner);
      }
      for (int64_t j = 0; j < inner; j++)
        out[o * inner + j] = (float)(op == TP_RMEAN ? acc[j] / (double)r : acc[j]);
    }
    free(acc);
    return;
  }
  const int is_max = op == TP_RMAX;
  for (int64_t o = 0; o < outer; o++) {
    const float *base = x + o * r * inner;
    float *dst = out + o * inner;
    for (int64_t j = 0; j < inner; j++) dst[j] = base[j];
    for (int64_t k = 1; k < r; k++) {
      const float *row = base + k * inner;
      for (int64_t j = 0; j < inner; j++) {
        float v = row[j];
        /* tfjs cpu reduce: value replaces the running one when it is strictly better or NaN */
        if (v != v || (is_max ? v > dst[j] : v < dst[j])) dst[j] = v;
      }
    }
  }
}

void tp_strided_copy(const uint32_t *src, const int64_t *src_str, uint32_t *dst, int64_t dst_row_stride,
                     const int64_t *shape, int rank) {
  int64_t idx[TP_MAX_RANK] = {0};
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= shape[d];
  if (total == 0) return;
  if (rank == 0) { dst[0] = src[0]; return; }
  const int64_t inner = shape[rank - 1], istep = src_str[rank - 1];
  /* dst rows are `inner` long, placed every dst_row_stride elements (> inner when writing one
   * input's columns of a concat) */
  int64_t off = 0;
  for (int64_t row = 0, rows = total / inner; row < rows; row++) {
    uint32_t *out = dst + row * dst_row_stride;
    if (istep == 1) memcpy(out, src + off, sizeof(uint32_t) * (size_t)inner);
    else for (int64_t j = 0; j < inner; j++) out[j] = src[off + j * istep];
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++; off += src_str[d];
      if (idx[d] < shape[d]) break;
      off -= src_str[d] * shape[d]; idx[d] = 0;
    }
  }
}

void tp_transpose(const uint32_t *x, uint32_t *out, const int64_t *shape, const int *perm, int rank) {
  int64_t in_str[TP_MAX_RANK] = {0}, oshape[TP_MAX_RANK] = {0}, ostr[TP_MAX_RANK] = {0};
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) { in_str[d] = s; s *= shape[d]; }
  for (int d = 0; d < rank; d++) { oshape[d] = shape[perm[d]]; ostr[d] = in_str[perm[d]]; }
  tp_strided_copy(x, ostr, out, rank ? oshape[rank - 1] : 1, oshape, rank);
}

TP_CLONES static double exp_row(const float *restrict x, float m, float *restrict o, int64_t n) {
  double s = 0.0;
  for (int64_t j = 0; j < n; j++) { o[j] = (float)tp_exp_d((double)(x[j] - m)); s += o[j]; }
  return s;
}

void tp_softmax(const float *x, float *out, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    float m = xr[0];
    for (int64_t j = 1; j < cols; j++) if (xr[j] > m || xr[j] != xr[j]) m = xr[j];
    const double s = exp_row(xr, m, o, cols);
    /* tfjs divides the float32 exp by the float32-stored sum */
    const float sf = (float)s;
    for (int64_t j = 0; j < cols; j++) o[j] = o[j] / sf;
  }
}

int64_t tp_gather_rows(const uint32_t *table, int64_t nrows, const int32_t *idx, int64_t nidx,
                       uint32_t *out, int64_t row_len) {
  for (int64_t i = 0; i < nidx; i++) {
    const int32_t r = idx[i];
    if (r < 0 || r >= nrows) return i;
    memcpy(out + i * row_len, table + (int64_t)r * row_len, sizeof(uint32_t) * (size_t)row_len);
  }
  return -1;
}

int64_t tp_scatter_add_rows(const float *x, const int32_t *idx, int64_t nidx, float *out,
                            int64_t nseg, int64_t row_len) {
  /* double accumulators: tfjs sums the masked rows in double before storing float32 */
  double *acc = (double *)calloc((size_t)(nseg * row_len), sizeof(double));
  int64_t bad = -1;
  for (int64_t i = 0; i < nidx; i++) {
    const int32_t s = idx[i];
    if (s < 0 || s >= nseg) continue; /* TF drops negative / out-of-range segment ids */
    add_row_d(acc + (int64_t)s * row_len, x + i * row_len, row_len);
  }
  for (int64_t j = 0; j < nseg * row_len; j++) out[j] = (float)acc[j];
  free(acc);
  return bad;
}
