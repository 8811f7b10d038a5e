/* Fused forward and backward passes of whole sub-layers (layer norm, dense + bias + activation +
 * residual, causal attention, softmax cross-entropy, embeddings) and the optimizer update over all
 * parameters. Rows are the flattened leading dimensions; every function is parallel over the pool
 * and its reductions combine per-chunk partials in a fixed order (results do not depend on the
 * thread count). */
#ifndef TUNEPLANE_FUSED_H
#define TUNEPLANE_FUSED_H
#include <stdint.h>

/* --- normalisation --------------------------------------------------------------------------- */
/* y = (x - mean) * rstd * g + b per row of c; stats[2r] = mean, stats[2r+1] = rstd */
void tp_layernorm_fwd(const float *x, const float *g, const float *b, float *y, float *stats, int64_t rows, int64_t c,
                      float eps);
void tp_layernorm_bwd(const float *dy, const float *x, const float *g, const float *stats, float *dx, float *dg,
                      float *db, int64_t rows, int64_t c);
/* Llama RMSNorm: y = x * rstd * w, rstd[r] = 1/sqrt(mean(x^2) + eps) */
void tp_rmsnorm_fwd(const float *x, const float *w, float *y, float *rstd, int64_t rows, int64_t c, float eps);
void tp_rmsnorm_bwd(const float *dy, const float *x, const float *w, const float *rstd, float *dx, float *dw,
                    int64_t rows, int64_t c);

/* --- dense ------------------------------------------------------------------------------------ */
enum tp_activation { TP_ACT_NONE, TP_ACT_GELU_TANH, TP_ACT_GELU_ERF, TP_ACT_RELU, TP_ACT_SILU, TP_ACT_COUNT };

/* y = act(x W + bias) + residual; x [m, k], W [k, n] or [n, k] (trans_w), bias [n] or NULL,
 * residual [m, n] or NULL; pre [m, n] receives x W + bias when act != NONE (else NULL). */
void tp_dense_fwd(const float *x, const float *w, int trans_w, const float *bias, const float *residual, int act,
                  float *y, float *pre, int64_t m, int64_t k, int64_t n);
/* From dy [m, n] (and pre for act): dx [m, k], dw like W, dbias [n] (NULL to skip). dpre_scratch
 * [m, n] is needed when act != NONE (it may alias dy when the caller owns dy). */
void tp_dense_bwd(const float *dy, const float *x, const float *w, int trans_w, const float *pre, int act, float *dx,
                  float *dw, float *dbias, float *dpre_scratch, int64_t m, int64_t k, int64_t n);

/* --- attention -------------------------------------------------------------------------------- */
/* Causal softmax(q k^T * scale) v on packed qkv [b, t, (nh + 2 nkv) hd] (all query heads, then
 * keys, then values; query head h reads key/value head h / (nh / nkv)); out [b, t, nh hd],
 * probs [b, nh, t, t] (saved for the backward pass; zeros above the diagonal). */
void tp_attention_fwd(const float *qkv, float *out, float *probs, int64_t b, int64_t t, int64_t nh, int64_t nkv,
                      int64_t hd, float scale);
void tp_attention_bwd(const float *dout, const float *qkv, const float *probs, float *dqkv, int64_t b, int64_t t,
                      int64_t nh, int64_t nkv, int64_t hd, float scale);
/* The same attention without the T x T probabilities (attention_tiled.c): out as above, lse
 * [b, nh, t] (each row's log-sum-exp, all the backward pass needs besides out). window > 0 limits
 * query i to keys i - window < j <= i (Mistral's sliding window); slopes [nh] (or NULL) add ALiBi's
 * -slope_h (i - j) to the scores. */
void tp_attention_tiled_fwd(const float *qkv, float *out, float *lse, int64_t b, int64_t t, int64_t nh, int64_t nkv,
                            int64_t hd, float scale, int64_t window, const float *slopes);
void tp_attention_tiled_bwd(const float *dout, const float *qkv, const float *out, const float *lse, float *dqkv,
                            int64_t b, int64_t t, int64_t nh, int64_t nkv, int64_t hd, float scale, int64_t window,
                            const float *slopes);
/* HF rotate_half RoPE on the query and key heads of packed qkv rows (row r at position r % t);
 * cos/sin [>= t, hd/2]; inverse = 1 rotates back (the backward pass). v is copied. */
void tp_rope(const float *qkv, float *out, const float *cos, const float *sin, int64_t rows, int64_t t, int64_t nh,
             int64_t nkv, int64_t hd, int inverse);

/* --- elementwise ------------------------------------------------------------------------------ */
/* m = silu(gate) * up and its gradient */
void tp_swiglu_fwd(const float *gate, const float *up, float *out, int64_t n);
void tp_swiglu_bwd(const float *dout, const float *gate, const float *up, float *dgate, float *dup, int64_t n);

/* --- loss ------------------------------------------------------------------------------------- */
/* Per row r of logits [rows, v]: lse[r]; loss = sum over rows of mask[r] * (lse - logit[target]);
 * correct = sum of mask[r] where the first argmax equals the target. Targets outside [0, v)
 * contribute nothing (as a one-hot of them is all zeros). */
void tp_xent_fwd(const float *logits, const int32_t *targets, const float *mask, float *lse, double *loss,
                 double *correct, int64_t rows, int64_t v);
/* dlogits = dloss * mask[r] * (softmax - onehot(target)); dmask[r] = dloss * (lse - logit[target])
 * (the row's loss; NULL to skip) */
void tp_xent_bwd(const float *logits, const int32_t *targets, const float *mask, const float *lse, float dloss,
                 float *dlogits, float *dmask, int64_t rows, int64_t v);

/* --- embedding -------------------------------------------------------------------------------- */
/* out[r] = wte[ids[r]] + wpe[r % t] (wpe may be NULL). Returns -1, or the first bad index's row. */
int64_t tp_embed_fwd(const int32_t *ids, const float *wte, int64_t vocab, const float *wpe, float *out, int64_t rows,
                     int64_t t, int64_t h);
/* dwte [vocab, h] = scatter-add of dout rows (zeroed first); dwpe [npos, h] (NULL to skip). */
void tp_embed_bwd(const int32_t *ids, const float *dout, float *dwte, int64_t vocab, float *dwpe, int64_t npos,
                  int64_t rows, int64_t t, int64_t h);

/* --- optimizer -------------------------------------------------------------------------------- */
enum tp_optimizer { TP_OPT_ADAMW, TP_OPT_ADAM, TP_OPT_SGD };
typedef struct {
  int kind;
  float lr, beta1, beta2, eps, momentum;
  float bc1, bc2;     /* Adam bias corrections 1 - beta^t */
  float grad_scale;   /* gradients are multiplied by this first (clipping) */
} tp_opt_params_t;
typedef struct {
  float *p;
  const float *g;
  float *m, *v; /* v unused by SGD (m is its momentum buffer) */
  int64_t n;
  float decay; /* weight decay for this tensor (0 for biases and gains) */
} tp_opt_tensor_t;
void tp_optimizer_step(const tp_opt_params_t *hp, const tp_opt_tensor_t *tensors, int64_t count);
/* Sum of squares of every element of every array, in double. */
double tp_sum_squares(const float *const *arrays, const int64_t *lengths, int64_t count);

#endif
