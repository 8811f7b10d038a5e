/**
 * Finds the WebGPU adapters Dawn can offer and decides which one to train on. Each Dawn backend is
 * asked separately so the log can say, per backend, what was found and why it was not used:
 *  - vulkan: what an NVIDIA (or AMD/Intel) driver gives on Linux, full ("core") WebGPU;
 *  - opengles: Dawn's "compatibility" feature level over EGL; on a machine without a GPU this is
 *    Mesa's llvmpipe, a software rasteriser running on the CPU (what CI tests on).
 * A software adapter is never chosen automatically (the CPU path with native kernels is far faster);
 * it can be forced (TUNEPLANE_BACKEND=webgpu) to check correctness.
 */
import { createGpu, type Gpu, type GpuAdapter } from './dawn';

export type DawnBackend = 'vulkan' | 'opengles';

export interface AdapterReport {
  backend: DawnBackend;
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader, softpipe) or Dawn's fallback adapter. */
  software: boolean;
}

export interface FoundAdapter {
  report: AdapterReport;
  adapter: GpuAdapter;
  /** The Dawn instance the adapter belongs to; it must stay referenced while the device is used. */
  gpu: Gpu;
}

export interface ProbeResult {
  found: FoundAdapter[];
  /** Backends that offered nothing, with the reason. */
  missing: { backend: DawnBackend; reason: string }[];
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render/i;

export function isSoftware(info: { vendor: string; device: string; description: string }, fallback: boolean) {
  return fallback || SOFTWARE.test(`${info.vendor} ${info.device} ${info.description}`);
}

/** The backends in the order we prefer them, with the feature level each can deliver. */
const PROBES: { backend: DawnBackend; featureLevel: 'core' | 'compatibility' }[] = [
  { backend: 'vulkan', featureLevel: 'core' },
  { backend: 'opengles', featureLevel: 'compatibility' },
];

export async function probeAdapters(): Promise<ProbeResult> {
  const found: FoundAdapter[] = [];
  const missing: ProbeResult['missing'] = [];
  for (const { backend, featureLevel } of PROBES) {
    try {
      const gpu = createGpu(backend);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel });
      if (!adapter) {
        missing.push({
          backend,
          reason: `Dawn found no ${backend} adapter (its warning on stderr says why)`,
        });
        continue;
      }
      const info = adapter.info;
      const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
      found.push({
        gpu,
        adapter,
        report: {
          backend,
          featureLevel,
          vendor: info.vendor,
          architecture: info.architecture,
          device: info.device,
          description: info.description,
          software: isSoftware(info, fallback),
        },
      });
    } catch (err) {
      missing.push({ backend, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    }
  }
  return { found, missing };
}
