/** Public surface of the io package: safetensors and Hugging Face model folders. */
export {
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsFrom,
  encodeSafetensors,
  encodeSafetensorsHeader,
  concatChunks,
  decodeTensor,
} from './safetensors';
export type { ByteSource, SafetensorsEntry, SafetensorsHeader, SafetensorsContents } from './safetensors';
export { localModelFolder, memoryModelFolder } from './folder';
export type { ModelFolderReader, ModelFolderWriter } from './folder';
export { loadPretrained, savePretrained, hfConfigJson, hostWeights } from './pretrained';
export type { Pretrained, LoadOptions } from './pretrained';
