/**
 * Truncated normal pieces for the Parzen estimators, computed in log space so that kernels far
 * from a point (z of 30 and more, common once kernels narrow) still compare instead of underflowing
 * to log(0). Same scheme as scipy's/optuna's truncnorm: work in the left tail, mirror the right.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Standard normal CDF. */
export function ndtr(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** log Φ(x), accurate in the far left tail (asymptotic series below -20). */
export function logNdtr(x: number): number {
  if (x > 6) return -ndtr(-x); // log(1 - ε) ≈ -ε
  if (x > -20) return Math.log(ndtr(x));
  // log Φ(x) = -x²/2 - log(-x) - log√(2π) + log(1 - 1/x² + 3/x⁴ - 15/x⁶ + …)
  let sum = 1;
  let term = 1;
  for (let i = 1; i < 20; i++) {
    const next = (-term * (2 * i - 1)) / (x * x);
    if (Math.abs(next) >= Math.abs(term)) break; // asymptotic: stop once terms grow
    term = next;
    sum += term;
  }
  return -0.5 * x * x - Math.log(-x) - LOG_SQRT_2PI + Math.log(sum);
}

function logDiff(logP: number, logQ: number): number {
  return logP + Math.log1p(-Math.exp(logQ - logP));
}

/** log of the standard normal mass on [a, b]. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** Quantile q ∈ (0, 1) of the standard normal truncated to [a, b]. */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (a > 0) return -truncnormPpf(1 - q, -b, -a); // right tail: mirror into the accurate left one
  const pa = ndtr(a);
  const p = pa + q * (ndtr(b) - pa);
  const x = -Math.SQRT2 * erfcinv(2 * p);
  return Math.min(Math.max(x, a), b);
}

/** log density of N(mu, sigma²) truncated to [low, high], at x. */
export function truncnormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  const z = (x - mu) / sigma;
  return (
    -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma)
  );
}
