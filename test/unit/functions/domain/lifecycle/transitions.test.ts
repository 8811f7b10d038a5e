import { describe, expect, it } from 'vitest';
import {
  JOB_STATUSES,
  TERMINAL_STATUSES,
  canTransition,
  isTerminal,
} from '../../../../../functions/domain/lifecycle';

describe('job status transition table', () => {
  it('follows the happy path validating_files → queued → running → succeeded', () => {
    expect(canTransition('validating_files', 'queued')).toBe(true);
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
  });

  it('lets a running job pause, and a paused job resume to running or back to the queue', () => {
    expect(canTransition('running', 'paused')).toBe(true);
    expect(canTransition('paused', 'running')).toBe(true);
    expect(canTransition('paused', 'queued')).toBe(true);
    expect(canTransition('queued', 'paused')).toBe(false);
    expect(canTransition('validating_files', 'paused')).toBe(false);
  });

  it('allows cancel and failure from every non-terminal status', () => {
    for (const s of JOB_STATUSES.filter((x) => !isTerminal(x))) {
      expect(canTransition(s, 'cancelled')).toBe(true);
      expect(canTransition(s, 'failed')).toBe(true);
    }
  });

  it('never leaves a terminal status', () => {
    expect(TERMINAL_STATUSES).toEqual(['succeeded', 'failed', 'cancelled']);
    for (const from of TERMINAL_STATUSES) {
      for (const to of JOB_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('never moves backwards: nothing returns to validating_files and running does not go back to queued', () => {
    for (const from of JOB_STATUSES) expect(canTransition(from, 'validating_files')).toBe(false);
    expect(canTransition('running', 'queued')).toBe(false);
    expect(canTransition('queued', 'validating_files')).toBe(false);
  });

  it('only succeeds a job that ran, and no status moves to itself', () => {
    expect(canTransition('queued', 'succeeded')).toBe(false);
    expect(canTransition('paused', 'succeeded')).toBe(false);
    for (const s of JOB_STATUSES) expect(canTransition(s, s)).toBe(false);
  });
});
