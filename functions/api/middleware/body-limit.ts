/** Caps request bodies before anything reads them: 413 with the envelope (checked on Content-Length and on the stream). */
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../../errors';

export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(maxBytes);
    },
  });
}
