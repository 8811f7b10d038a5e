/* Vectorizable float exp/tanh/GELU for the fused kernels (libm's expf/tanhf are scalar calls).
 * expf: range reduction x = k ln2 + r, |r| <= ln2/2, Taylor polynomial to r^7 (truncation
 * < 6e-9 relative), 2^k from the exponent bits: within 2 ulp of the true value. */
#ifndef TUNEPLANE_MATHFN_H
#define TUNEPLANE_MATHFN_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Runtime dispatch: an AVX-512 / AVX2 clone where the CPU has it, baseline x86-64 otherwise. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TP_CLONES
#endif

static inline float tp_expf(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  const float kf = x * 1.44269504088896341f + shift;
  const float k = kf - shift;
  int32_t kbits;
  memcpy(&kbits, &kf, sizeof kbits);
  float r = x - k * 0.693145751953125f;
  r = r - k * 1.428606765330187045e-06f;
  const float p =
      1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
  const int32_t ebits = ((kbits - 0x4B400000) + 127) << 23;
  float scale;
  memcpy(&scale, &ebits, sizeof scale);
  return p * scale;
}

/* tanh from exp: absolute error ~1e-7, which is what GELU's 1 + tanh needs. */
static inline float tp_tanhf(float x) {
  const float e = tp_expf(2.0f * x);
  return 1.0f - 2.0f / (e + 1.0f);
}

static inline float tp_sigmoidf(float x) { return 1.0f / (1.0f + tp_expf(-x)); }

#define TP_SQRT_2_OVER_PI 0.7978845608028654f
#define TP_GELU_C 0.044715f

static inline float tp_gelu_tanh(float x) {
  const float t = tp_tanhf(TP_SQRT_2_OVER_PI * (x + TP_GELU_C * x * x * x));
  return 0.5f * x * (1.0f + t);
}

static inline float tp_gelu_tanh_grad(float x) {
  const float x2 = x * x;
  const float t = tp_tanhf(TP_SQRT_2_OVER_PI * x * (1.0f + TP_GELU_C * x2));
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * TP_SQRT_2_OVER_PI * (1.0f + 3.0f * TP_GELU_C * x2);
}

#endif
