/**
 * `Content-Disposition: attachment` for a download, keeping the name as it was uploaded (RFC 6266
 * with RFC 8187's `filename*`): the header itself is printable ASCII, because Node refuses other
 * bytes in a header and clients read raw header bytes as Latin-1. `filename` is an ASCII stand-in
 * for old clients; `filename*` carries the exact name as percent-encoded UTF-8.
 *
 * Hand-written rather than the `content-disposition` package: that one puts Latin-1 bytes in the
 * quoted name (which fetch clients garble) and keeps only the name's last path segment.
 */

/** RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~". */
const NOT_ATTR_CHAR = /[^A-Za-z0-9!#$&+\-.^_`|~]/gu;

function percentEncodeUtf8(text: string): string {
  // A lone surrogate cannot be UTF-8: Buffer encodes it as the replacement character.
  return text.replace(NOT_ATTR_CHAR, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${percentEncodeUtf8(filename)}`;
}
