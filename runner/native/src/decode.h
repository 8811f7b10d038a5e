/* Incremental decoding: attention of new positions over a key/value cache that grows in place. */
#ifndef TUNEPLANE_DECODE_H
#define TUNEPLANE_DECODE_H
#include <stdint.h>

/* t new positions per row (absolute positions pos..pos+t-1) of b rows attend over a cache of
 * capacity cap laid out [b, nkv, cap, hd]. q/k/v point at the first query/key/value head of token
 * (0, 0) and advance by q_stride/k_stride/v_stride floats per token (packed qkv or separate
 * projections alike). The new keys (rotated with HF's rotate_half RoPE when cos/sin [>= pos+t,
 * hd/2] are given) and values are written to the cache at [pos, pos+t); out [b, t, nh hd] gets
 * softmax(q k^T * scale) v with query i seeing keys 0..pos+i. Query head h reads key/value head
 * h / (nh / nkv). */
void tp_attention_cached(const float *q, int64_t q_stride, const float *k, int64_t k_stride, const float *v,
                         int64_t v_stride, float *k_cache, float *v_cache, float *out, const float *cos,
                         const float *sin, int64_t b, int64_t t, int64_t pos, int64_t cap, int64_t nh, int64_t nkv,
                         int64_t hd, float scale);

#endif
