/**
 * `tuneplane admin` as an operator runs it: a separate process working on the embedded stack's
 * data directory, while `npm start` runs (through the stores.json it writes, 0600) and after it
 * stopped (starting the stores itself). Keys it makes open the API; revoked and expired ones are
 * refused with the reason.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, start, stop, type Running } from '../support/npm-start';

let dataDir: string;
let modelsDir: string;
let stack: Running | undefined;

function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['infra/cli/tuneplane.mjs', 'admin', '--data-dir', dataDir, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider', NO_COLOR: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const files = (key: string) =>
  fetch(`${stack!.baseUrl}/files`, { headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-admin-'));
  modelsDir = path.join(dataDir, 'base-models');
  await mkdir(modelsDir, { recursive: true });
  await writeFile(path.join(dataDir, 'placeholder'), '');
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: dataDir,
    TUNEPLANE_BASE_MODELS_DIR: modelsDir,
  });
}, 60_000);
afterAll(async () => {
  if (stack && stack.child.exitCode === null && stack.child.signalCode === null)
    await stop(stack).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

describe('tuneplane admin on the embedded stack', () => {
  let acmeKey: string;
  let acmeKeyId: string;

  it('finds the running stack through its data directory; the access file is its owner’s only', async () => {
    expect((await stat(path.join(dataDir, 'stores.json'))).mode & 0o777).toBe(0o600);
    const created = await admin(['tenants', 'create', 'acme', '--name', 'Acme Corp']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'acme', name: 'Acme Corp' });
    const again = await admin(['tenants', 'create', 'acme']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);

    const list = await admin(['tenants', 'list']);
    expect(list.stdout).toMatch(/^acme\s+Acme Corp/m);
    expect(list.stdout).toMatch(/^local\s/m);
  }, 60_000);

  it('creates a key that opens the API for its tenant, and lists it without the key', async () => {
    const created = await admin(['keys', 'create', '--tenant', 'acme', '--name', 'ci']);
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout) as { key: string; id: string; status: string; tenant: string };
    expect(out).toMatchObject({ tenant: 'acme', status: 'active', expires_at: null });
    acmeKey = out.key;
    acmeKeyId = out.id;
    const res = await files(acmeKey);
    expect(res.status).toBe(200);

    const list = await admin(['keys', 'list', '--tenant', 'acme']);
    expect(list.stdout).toContain(acmeKeyId);
    expect(list.stdout).toMatch(/active/);
    expect(list.stdout).not.toContain(acmeKey);

    const noTenant = await admin(['keys', 'create', '--tenant', 'nobody']);
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/No tenant found with id 'nobody'/);
  }, 60_000);

  it('a key with an expiry stops working then, saying so', async () => {
    const past = await admin(['keys', 'create', '--tenant', 'acme', '--expires-at', '2020-01-01T00:00:00Z']);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/future/);

    const created = await admin(['keys', 'create', '--tenant', 'acme', '--expires-in', '3s']);
    const out = JSON.parse(created.stdout) as { key: string; expires_at: number };
    expect(out.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect((await files(out.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, out.expires_at * 1000 - Date.now()) + 1100));
    const refused = await files(out.key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  }, 60_000);

  it('a revoked key is refused at once; revoking a tenant revokes its keys', async () => {
    const revoked = await admin(['keys', 'revoke', acmeKeyId]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: acmeKeyId, status: 'revoked' });
    const refused = await files(acmeKey);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);

    const other = JSON.parse((await admin(['keys', 'create', '--tenant', 'acme'])).stdout) as { key: string };
    expect((await files(other.key)).status).toBe(200);
    const tenant = await admin(['tenants', 'revoke', 'acme']);
    // The live key and the expired one (revoked too, so it stays dead whatever its expiry).
    expect(JSON.parse(tenant.stdout)).toMatchObject({ tenant: 'acme', revoked: true, keysRevoked: 2 });
    expect((await files(other.key)).status).toBe(401);
    const none = await admin(['keys', 'create', '--tenant', 'acme']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/revoked/);
    // The stack's own key is another tenant's: untouched.
    expect((await files(stack!.apiKey)).status).toBe(200);
  }, 60_000);

  it('works on the data directory when no stack runs (and the stack starts after it)', async () => {
    await stop(stack!);
    const created = await admin(['tenants', 'create', 'beta']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse((await admin(['keys', 'create', '--tenant', 'beta'])).stdout) as { key: string };
    const list = await admin(['tenants', 'list']);
    expect(list.stdout).toMatch(/^beta\s/m);
    stack = await start({
      PORT: String(await freePort()),
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_BASE_MODELS_DIR: modelsDir,
    });
    expect((await files(key.key)).status).toBe(200);
  }, 90_000);
});
