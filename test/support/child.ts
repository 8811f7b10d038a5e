/** A child process run to its end, its output collected (without blocking this event loop). */
import { spawn } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Asynchronous on purpose: the embedded dynalite and s3rver run in this process's event loop, so
 * waiting with spawnSync would leave a child that talks to them waiting forever.
 */
export async function runChild(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<ChildResult> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, stdout, stderr };
}
