import { describe, expect, it } from 'vitest';
import { learningRateAt, PlateauController, type ScheduleSettings } from '../../../../runner/optim';

const base: ScheduleSettings = {
  peak: 1e-3,
  scheduler: 'linear',
  warmupSteps: 10,
  warmupType: 'linear',
  totalSteps: 110,
};

describe('learning-rate schedules (pure functions of the step)', () => {
  it('linear warm-up then linear decay to 0', () => {
    expect(learningRateAt(0, base)).toBe(0);
    expect(learningRateAt(5, base)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, base)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, base)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(110, base)).toBe(0);
  });

  it('cosine warm-up then cosine decay', () => {
    const s = { ...base, scheduler: 'cosine' as const, warmupType: 'cosine' as const };
    // Cosine warm-up is slower than linear at first and meets it half way.
    expect(learningRateAt(2, s)).toBeCloseTo((1e-3 * (1 - Math.cos(Math.PI * 0.2))) / 2, 12);
    expect(learningRateAt(2, s)).toBeLessThan(learningRateAt(2, base));
    expect(learningRateAt(5, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, s)).toBeCloseTo(1e-3, 12);
    // A quarter of the decay: (1 + cos(π/4))/2 of the peak.
    expect(learningRateAt(35, s)).toBeCloseTo((1e-3 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
    expect(learningRateAt(60, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(110, s)).toBeCloseTo(0, 12);
  });

  it('constant stays at the peak after warm-up', () => {
    const s = { ...base, scheduler: 'constant' as const, warmupSteps: 0 };
    expect(learningRateAt(0, s)).toBe(1e-3);
    expect(learningRateAt(99, s)).toBe(1e-3);
  });
});

describe('reduce on plateau', () => {
  it('lowers the rate by factor after more than patience evaluations without gain, never below min_lr', () => {
    const p = new PlateauController({ factor: 0.5, patience: 1, min_lr: 2e-4, threshold: 0.01 }, 1e-3);
    p.observe(1.0);
    p.observe(0.95); // improvement
    expect(p.rate).toBe(1e-3);
    p.observe(0.949); // less than 1 % better: bad 1 (patience 1 tolerates it)
    expect(p.rate).toBe(1e-3);
    p.observe(0.96); // bad 2 > patience → halve
    expect(p.rate).toBe(5e-4);
    p.observe(0.97);
    p.observe(0.97);
    expect(p.rate).toBe(2.5e-4);
    p.observe(0.98);
    p.observe(0.98);
    expect(p.rate).toBe(2e-4);
    const s = { ...base, scheduler: 'reduce_on_plateau' as const };
    expect(learningRateAt(50, s, p.rate)).toBe(2e-4);
  });
});
