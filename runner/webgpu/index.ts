export {
  probeAdapters,
  isSoftware,
  type AdapterReport,
  type FoundAdapter,
  type ProbeResult,
} from './adapters';
export { initWebGpuBackend, webGpuSession, WebGpuDeviceError, type WebGpuSession } from './backend';
export { dawnBindingPath, loadDawn } from './dawn';
