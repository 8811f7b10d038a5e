/* Plain C compute kernels behind the N-API glue (addon.c). float32 only; shapes are
 * passed already validated by the TypeScript side, which owns the tfjs semantics. */
#ifndef TUNEPLANE_KERNELS_H
#define TUNEPLANE_KERNELS_H
#include <stdint.h>

#define TP_MAX_RANK 8

enum tp_binary_op { TP_ADD, TP_SUB, TP_MUL, TP_DIV, TP_MAX, TP_MIN, TP_SQDIFF, TP_POW, TP_BINARY_COUNT };
enum tp_unary_op {
  TP_EXP, TP_LOG, TP_TANH, TP_SQRT, TP_RSQRT, TP_NEG, TP_SQUARE, TP_RELU, TP_ABS,
  TP_SIGMOID, TP_ERF, TP_RECIPROCAL, TP_UNARY_COUNT
};
enum tp_reduce_op { TP_RSUM, TP_RMAX, TP_RMEAN, TP_RMIN, TP_REDUCE_COUNT };

/* out[i] = a[..] op b[..] with numpy broadcasting; strides are element strides into a/b per
 * output dimension (0 where broadcast). */
void tp_binary(int op, const float *a, const int64_t *astr, const float *b, const int64_t *bstr,
               float *out, const int64_t *shape, int rank);
void tp_unary(int op, const float *x, float *out, int64_t n);
/* x viewed as [outer, r, inner]; reduce the middle axis. */
void tp_reduce(int op, const float *x, float *out, int64_t outer, int64_t r, int64_t inner);
/* dst (contiguous, `shape`) = src read with element strides `src_str` (4-byte elements:
 * float32 or int32 bit patterns). Slice, transpose and concat are all this copy. */
void tp_strided_copy(const uint32_t *src, const int64_t *src_str, uint32_t *dst, int64_t dst_row_stride,
                     const int64_t *shape, int rank);
/* 4-byte element transpose. */
void tp_transpose(const uint32_t *x, uint32_t *out, const int64_t *shape, const int *perm, int rank);
void tp_softmax(const float *x, float *out, int64_t rows, int64_t cols);
/* Returns -1 on success or the position of the first out-of-range index. */
int64_t tp_gather_rows(const uint32_t *table, int64_t nrows, const int32_t *idx, int64_t nidx,
                       uint32_t *out, int64_t row_len);
int64_t tp_scatter_add_rows(const float *x, const int32_t *idx, int64_t nidx, float *out,
                            int64_t nseg, int64_t row_len);

#endif
