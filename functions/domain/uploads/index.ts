export {
  createUpload,
  getUpload,
  signUploadParts,
  completeUpload,
  cancelUpload,
  partLayout,
} from './service';
export type { UploadDeps, UploadConfig, UploadView, PartUrl } from './service';
