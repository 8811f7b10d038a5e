import { describe, expect, it } from 'vitest';
import {
  logGaussMass,
  logNdtr,
  ndtr,
  truncnormLogPdf,
  truncnormPpf,
} from '../../../../../functions/domain/sweeps/truncnorm';

// Reference values from mpmath at 400 digits.
describe('truncated normal numerics', () => {
  it('computes Φ and log Φ, deep into the tail', () => {
    expect(ndtr(-1.96)).toBeCloseTo(0.024997895148220435, 15);
    expect(logNdtr(-30)).toBeCloseTo(-454.3212439563432, 9);
    expect(logNdtr(-40)).toBeCloseTo(-804.6084420137538, 9);
    expect(logNdtr(10)).toBeCloseTo(-7.61985302416053e-24, 30);
  });

  it('computes the log mass of intervals far in either tail without underflow', () => {
    expect(logGaussMass(29, 30)).toBeCloseTo(logGaussMass(-30, -29), 12);
    expect(logGaussMass(-45, -5)).toBeCloseTo(Math.log(ndtr(-5)), 9);
    expect(logGaussMass(29, 30)).toBeCloseTo(-424.7874199097303, 8);
    expect(logGaussMass(-1, 1)).toBeCloseTo(Math.log(0.6826894921370859), 12);
  });

  it('inverts the truncated CDF: quantiles stay inside and split the mass evenly', () => {
    for (const [a, b] of [
      [-1, 2],
      [-0.1, 40],
      [0.5, 3],
      [-60, -0.2],
    ]) {
      let prev = a;
      for (const q of [0.001, 0.25, 0.5, 0.75, 0.999]) {
        const x = truncnormPpf(q, a, b);
        expect(x).toBeGreaterThanOrEqual(prev);
        expect(x).toBeLessThanOrEqual(b);
        expect(Math.exp(logGaussMass(a, x) - logGaussMass(a, b))).toBeCloseTo(q, 6);
        prev = x;
      }
    }
  });

  it('has a density that integrates to 1 over its bounds', () => {
    const [mu, sigma, low, high] = [0.3, 0.05, 0, 1];
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++)
      sum +=
        Math.exp(truncnormLogPdf(low + ((i + 0.5) * (high - low)) / n, mu, sigma, low, high)) *
        ((high - low) / n);
    expect(sum).toBeCloseTo(1, 6);
    expect(truncnormLogPdf(1.5, mu, sigma, low, high)).toBe(-Infinity);
  });
});
