import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../../../runner/data';

describe('sampling orders', () => {
  it('shuffle is a seeded permutation; sequential is the file order', () => {
    const a = epochOrder('shuffle', { n: 100 }, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(epochOrder('shuffle', { n: 100 }, 7, 0)).toEqual(a);
    expect(epochOrder('shuffle', { n: 100 }, 8, 0)).not.toEqual(a);
    expect(epochOrder('shuffle', { n: 100 }, 7, 1)).not.toEqual(a);
    expect(epochOrder('sequential', { n: 5 }, 7, 3)).toEqual([0, 1, 2, 3, 4]);
  });

  it('stratified keeps every batch at the class ratio (±1 per class)', () => {
    // 75 % class 0, 25 % class 1, in file order all zeros first.
    const labels = [...Array(300).fill(0), ...Array(100).fill(1)];
    const order = epochOrder('stratified', { n: 400, labels }, 3, 0);
    expect(new Set(order).size).toBe(400);
    for (const b of [4, 8, 16]) {
      for (let i = 0; i + b <= order.length; i += b) {
        const ones = order.slice(i, i + b).filter((j) => labels[j] === 1).length;
        expect(Math.abs(ones - b / 4)).toBeLessThanOrEqual(1);
      }
    }
    // A plain shuffle does not: some batch of 8 strays by more than 1.
    const shuffled = epochOrder('shuffle', { n: 400 }, 3, 0);
    const strays = [];
    for (let i = 0; i < 400; i += 8)
      strays.push(Math.abs(shuffled.slice(i, i + 8).filter((j) => labels[j] === 1).length - 2));
    expect(Math.max(...strays)).toBeGreaterThan(1);
  });

  it('bootstrap draws n with replacement (repeats, about 1/e left out)', () => {
    const order = epochOrder('bootstrap', { n: 2000 }, 5, 0);
    expect(order).toHaveLength(2000);
    const distinct = new Set(order).size;
    expect(distinct).toBeLessThan(2000);
    expect(Math.abs(1 - distinct / 2000 - Math.exp(-1))).toBeLessThan(0.03);
  });

  it('weighted draws match the weights (chi-square at p = 0.001)', () => {
    const weights = [1, 2, 3, 4, 0];
    const draws = Array.from({ length: 40 }, (_, e) =>
      epochOrder('weighted', { n: 5, weights }, 11, e),
    ).flat();
    const counts = [0, 0, 0, 0, 0];
    for (const i of draws) counts[i]++;
    expect(counts[4]).toBe(0);
    const total = draws.length;
    const chi2 = weights.slice(0, 4).reduce((s, w, i) => {
      const expected = (total * w) / 10;
      return s + (counts[i] - expected) ** 2 / expected;
    }, 0);
    expect(chi2).toBeLessThan(16.27); // 3 degrees of freedom
  });
});
