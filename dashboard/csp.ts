/**
 * The dashboard's content security policy, one definition for both stacks (infra/local/dashboard.ts
 * sends it as a header, infra/aws/constructs/dashboard.ts through CloudFront): this origin only —
 * nothing is loaded from the internet — plus the object store's origin for `connect-src`, where
 * the browser PUTs the parts of a large upload to presigned URLs (POST /v1/uploads).
 */
export function dashboardCsp(uploadOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${uploadOrigin}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}
