export { validateTrainingFile, everyExampleHasWeight, describeProblems, MIN_EXAMPLES } from './validate';
export type { TrainingFileReport, LineProblem } from './validate';
export { checkExample } from './examples';
export { readLines } from './lines';
export type { ByteSource } from './lines';
export {
  createFile,
  createFileFromBlob,
  getFile,
  listFiles,
  deleteFile,
  fileContent,
  fileBlobKey,
  VALIDATED_PURPOSES,
} from './service';
export type { FileDeps } from './service';
export { deleteExpiredFiles } from './expiry';
export type { ExpiryDeps } from './expiry';
