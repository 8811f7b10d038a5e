// Native (OpenBLAS + C) kernels for the tfjs cpu backend; see register.ts.
export {
  registerNativeKernels,
  unregisterNativeKernels,
  nativeStatus,
  setNativeThreads,
  NATIVE_KERNELS,
  activeNativeAddon,
} from './register';
export type { NativeStatus, RegisterOptions } from './register';
export { loadAddon, defaultAddonPath } from './addon';
export type { NativeAddon, AddonLoad } from './addon';
export { OptimizerKind } from './addon';
export { readValues, writableValues, ownedVariable } from './buffers';
