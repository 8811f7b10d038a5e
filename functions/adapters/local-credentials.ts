/** The embedded stand-ins (dynalite, s3rver) accept any signature; s3rver's own default pair. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
