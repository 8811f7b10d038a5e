/**
 * Serves the built dashboard (dashboard/build.ts) at `/` beside the API: `/v1/*` and
 * `/openapi.json` go to the API, every other GET is one of the dashboard's files from memory.
 * Hashed asset names are cached for a year; index.html is revalidated each time. The CSP allows
 * nothing but this origin (and PUTs to the embedded S3 for large uploads), so the page cannot load
 * anything from the internet.
 */
import { createHash } from 'node:crypto';
import type { BuiltDashboard } from '../../dashboard/build';
import { dashboardCsp } from '../../dashboard/csp';

type Fetch = (req: Request) => Response | Promise<Response>;

/** Headers of every dashboard file; the CSP's connect-src also names the object store (uploads). */
export function dashboardHeaders(s3Endpoint: string): Record<string, string> {
  return {
    'content-security-policy': dashboardCsp(new URL(s3Endpoint).origin),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

export function withDashboard(api: Fetch, dashboard: BuiltDashboard, s3Endpoint: string): Fetch {
  const base = dashboardHeaders(s3Endpoint);
  const files = new Map(
    dashboard.files.map((f) => [
      `/${f.name}`,
      { ...f, etag: `"${createHash('sha256').update(f.contents).digest('base64url').slice(0, 22)}"` },
    ]),
  );
  return (req) => {
    const { pathname } = new URL(req.url);
    if (pathname.startsWith('/v1/') || pathname === '/v1' || pathname === '/openapi.json') return api(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return new Response('Method not allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const file = files.get(pathname === '/' ? '/index.html' : pathname);
    if (!file) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    const headers: Record<string, string> = {
      ...base,
      'content-type': file.contentType,
      etag: file.etag,
      'cache-control': file.name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    };
    if (req.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
    return new Response(req.method === 'HEAD' ? null : file.contents, { status: 200, headers });
  };
}
