/** The `tuneplane` CLI as a user runs it: a separate process (through its bin) talking HTTP to `baseUrl`. */
import { runChild } from './child';

export async function runCli(
  baseUrl: string,
  apiKey: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runChild(
    process.execPath,
    ['infra/cli/tuneplane.mjs', '--base-url', baseUrl, '--api-key', apiKey, ...args],
    { ...process.env, NO_COLOR: '1' },
  );
  return { ...result, code: result.code ?? -1 };
}
