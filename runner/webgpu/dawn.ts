/**
 * Loads Dawn's Node binding (`dawn.node`, shipped prebuilt by the `webgpu` npm package) and creates
 * WebGPU instances from it. We load the binary ourselves rather than through the package's index.js
 * so the GPU bundle (`npm run gpu:bundle`) can carry the one `.node` file beside its script, without
 * node_modules: the file is looked for there first, then in the installed package.
 *
 * Only the few WebGPU types we touch are declared here; the full DOM-style typings would leak
 * browser globals into the whole project's type check.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}

export interface GpuDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  readonly limits: Record<string, number>;
  destroy(): void;
  addEventListener?(type: 'uncapturederror', listener: (e: { error: { message: string } }) => void): void;
}

export interface GpuAdapter {
  readonly info: GpuAdapterInfo;
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: {
    requiredFeatures?: string[];
    requiredLimits?: Record<string, number>;
  }): Promise<GpuDevice>;
}

export interface Gpu {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
    featureLevel?: 'core' | 'compatibility';
    forceFallbackAdapter?: boolean;
  }): Promise<GpuAdapter | null>;
}

interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

let loaded: { module: DawnModule; path: string } | undefined;

/** Where dawn.node is: $TUNEPLANE_DAWN_NODE, beside this script (the GPU bundle), or the `webgpu` package. */
export function dawnBindingPath(): string {
  const explicit = process.env.TUNEPLANE_DAWN_NODE;
  if (explicit) return explicit;
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'dawn.node');
  if (existsSync(beside)) return beside;
  const require = createRequire(import.meta.url);
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const pkg = dirname(require.resolve('webgpu/package.json'));
  return join(pkg, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/**
 * Loads the binding once and installs the WebGPU globals (GPUBufferUsage, GPUMapMode, …) that
 * tfjs-backend-webgpu reads. Throws with the path it tried when the binding is missing or fails.
 */
export function loadDawn(): { module: DawnModule; path: string } {
  if (loaded) return loaded;
  const path = dawnBindingPath();
  const require = createRequire(import.meta.url);
  // Headless Mesa: without a display, EGL must be told to use its surfaceless platform, or Dawn's
  // OpenGL ES backend finds no adapter. Harmless where a real driver is present.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const module = require(path) as DawnModule;
  for (const [name, value] of Object.entries(module.globals)) {
    if (!(name in globalThis))
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  loaded = { module, path };
  return loaded;
}

/** A Dawn instance restricted to one backend ('vulkan', 'opengles', …). */
export function createGpu(backend: string): Gpu {
  return loadDawn().module.create([`backend=${backend}`]);
}
