/**
 * Puts the test process on the WebGPU backend through the trainer's own selection (forced, so the
 * software renderer counts): Dawn's OpenGL ES backend on Mesa's llvmpipe here and in CI, a real GPU
 * wherever there is one. Without Mesa's EGL/GLES the suites are skipped with the reason printed,
 * unless TUNEPLANE_REQUIRE_WEBGPU=1 (set by .ci/run), where a missing adapter fails the run.
 */
import { initBackend, type BackendInfo } from '../../../runner/backend';
import { webGpuSession } from '../../../runner/webgpu';

export interface WebGpuTestBackend {
  info: BackendInfo;
  /** The backend selection's JSON log line. */
  line: Record<string, unknown>;
}

export async function useWebGpu(suite: string): Promise<WebGpuTestBackend | undefined> {
  const lines: string[] = [];
  try {
    const info = await initBackend({ prefer: 'webgpu', log: (l) => lines.push(l) });
    return { info, line: JSON.parse(lines[0]) as Record<string, unknown> };
  } catch (err) {
    if (process.env.TUNEPLANE_REQUIRE_WEBGPU === '1') throw err;
    console.warn(
      `SKIPPED ${suite}: ${(err as Error).message} (apt-get install libegl-mesa0 libgles2 libgl1-mesa-dri).`,
    );
    return undefined;
  }
}

/** Device errors (shader compilation, validation) reported so far; each one means wrong numbers. */
export function deviceErrors(): string[] {
  return webGpuSession()?.errors ?? [];
}
