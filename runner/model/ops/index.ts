// Model ops that run as fused kernels where the backend registers them (runner/model/ops/kernels.ts).
export { FUSED, hasKernel, type Activation } from './kernels';
export { layerNorm, rmsNorm } from './norm';
export { dense, type DenseOptions } from './dense';
export { causalSelfAttention, fusedAttentionAvailable, ropePacked, type AttentionOptions } from './attention';
export { embedTokens } from './embedding';
export { softmaxCrossEntropy } from './cross-entropy';
export { swiGlu } from './swiglu';
export { cachedAttention, type NewPositions, type Rotary } from './cached-attention';
