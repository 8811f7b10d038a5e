/**
 * `tuneplane admin`: tenants and API keys, for operators. Unlike the rest of the CLI it does not
 * go through the API (no key can create the first key): it works on the table itself.
 *
 *   embedded stack: the stores of the data directory (TUNEPLANE_DATA_DIR or --data-dir): the
 *     running stack's while `npm start` runs (infra/local/store-access.ts), else started here.
 *   AWS: `--table <TableName>` (and AWS_REGION or --region), with the caller's AWS credentials
 *     (the default chain; dynamodb:PutItem/GetItem/UpdateItem/Query on the table).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import {
  apiKeyView,
  createTenant,
  issueApiKey,
  listApiKeys,
  listTenants,
  revokeApiKey,
  revokeTenant,
  type TenantDeps,
} from '../../functions/domain/tenants';
import { TuneplaneError } from '../../openapi/errors';
import { systemClock } from '../../functions/ports/clock';
import { parseLocalConfig } from '../local/config';
import { openLocalStores } from '../local/store-access';
import { CliError } from './client';
import { print, table } from './output';

interface Target {
  table?: string;
  region?: string;
  dataDir?: string;
}

/** `30d`, `12h`, `90m`, `3600s` (or plain seconds) → seconds. */
export function durationArg(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 3600, 90m, 12h or 30d');
  const seconds =
    Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds <= 0) throw new InvalidArgumentError('must be more than 0');
  return seconds;
}

function dateArg(v: string): number {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('an ISO 8601 date, e.g. 2027-01-31T00:00:00Z');
  return Math.floor(ms / 1000);
}

async function withStores<T>(target: Target, run: (deps: TenantDeps) => Promise<T>): Promise<T> {
  if (target.table) {
    const region = target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new CliError('No AWS region: pass --region or set AWS_REGION.');
    const clients = createAwsClients({ region });
    try {
      return await run({
        stores: createDynamoStores(clients.doc, target.table, systemClock),
        clock: systemClock,
      });
    } finally {
      clients.destroy();
    }
  }
  const config = parseLocalConfig({
    ...process.env,
    ...(target.dataDir ? { TUNEPLANE_DATA_DIR: target.dataDir } : {}),
  });
  const opened = await openLocalStores(config);
  try {
    return await run({ stores: opened.stores, clock: systemClock });
  } finally {
    await opened.close();
  }
}

/** Domain errors (unknown tenant, revoked tenant, bad id) are the operator's to fix: said plainly. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TuneplaneError && !(err instanceof CliError))
      throw new CliError(err.message, err.code ?? 'invalid_usage', err.param ?? null);
    throw err;
  }
}

const iso = (s: number | null) => (s === null ? '' : new Date(s * 1000).toISOString());

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('Tenants and API keys, on the table itself (embedded data dir, or --table on AWS)')
    .option('--data-dir <dir>', 'embedded stack data directory (default: $TUNEPLANE_DATA_DIR or ./.data)')
    .option('--table <name>', 'the deployed DynamoDB table: work on AWS with your AWS credentials')
    .option('--region <region>', 'AWS region (default: $AWS_REGION)');
  const target = () => admin.opts<Target>();
  const run = <T>(work: (deps: TenantDeps) => Promise<T>) => guarded(() => withStores(target(), work));

  const tenants = admin.command('tenants').description('Tenants: whose data a key opens');
  tenants
    .command('create <id>')
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, o: { name?: string }) => {
      print(await run((deps) => createTenant(deps, { id, name: o.name })));
    });
  tenants.command('list').action(async () => {
    const rows = await run(listTenants);
    table(
      rows.map((t) => ({
        id: t.id,
        name: t.name,
        created: iso(t.createdAt),
        revoked: iso(t.revokedAt ?? null),
      })),
      ['id', 'name', 'created', 'revoked'],
    );
  });
  tenants
    .command('revoke <id>')
    .description('Revoke a tenant and every key it has')
    .action(async (id: string) => {
      print({ tenant: id, revoked: true, ...(await run((deps) => revokeTenant(deps, id))) });
    });

  const keys = admin.command('keys').description('API keys (shown once, at creation)');
  keys
    .command('create')
    .requiredOption('--tenant <id>', 'the tenant the key opens')
    .option('--name <name>', 'what the key is for', 'created with tuneplane admin')
    .option(
      '--expires-in <duration>',
      'the key stops working after this long (3600, 90m, 12h, 30d)',
      durationArg,
    )
    .option('--expires-at <date>', 'the key stops working at this ISO 8601 date', dateArg)
    .action(async (o: { tenant: string; name: string; expiresIn?: number; expiresAt?: number }) => {
      if (o.expiresIn !== undefined && o.expiresAt !== undefined)
        throw new CliError('Give --expires-in or --expires-at, not both.');
      const created = await run((deps) =>
        issueApiKey(deps, {
          tenantId: o.tenant,
          name: o.name,
          expiresAt:
            o.expiresAt ??
            (o.expiresIn !== undefined ? Math.floor(systemClock.nowMs() / 1000) + o.expiresIn : undefined),
        }),
      );
      print({ key: created.key, ...apiKeyView(created.record, Math.floor(systemClock.nowMs() / 1000)) });
    });
  keys
    .command('list')
    .option('--tenant <id>', 'one tenant’s keys only')
    .action(async (o: { tenant?: string }) => {
      const rows = await run((deps) => listApiKeys(deps, o.tenant));
      table(
        rows.map((k) => ({ ...k, created_at: iso(k.created_at), expires_at: iso(k.expires_at) })),
        ['id', 'tenant', 'name', 'hint', 'status', 'created_at', 'expires_at'],
      );
    });
  keys
    .command('revoke <key_id>')
    .description('Revoke a key by its id (key_…, as listed)')
    .action(async (id: string) => {
      print(await run((deps) => revokeApiKey(deps, id)));
    });
}
