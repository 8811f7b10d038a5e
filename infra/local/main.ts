/**
 * `npm start`: boots the embedded stack and prints the base URL and an API key.
 * Ctrl-C / SIGTERM stop it cleanly (API server, s3rver, dynalite); data stays in the data dir.
 */
import { buildDashboard, type BuiltDashboard } from '../../dashboard/build';
import { parseLocalConfig } from './config';
import { localLogger } from './logger';
import { startLocalStack } from './stack';

const t0 = performance.now();
let config;
try {
  config = parseLocalConfig(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const logger = localLogger();
// Whatever escapes goes through the logger too (one JSON line with the stack), then ends the process.
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (err: unknown) => {
    logger.error(event, { error: (err as Error)?.stack ?? String(err) });
    process.exit(1);
  });

// The dashboard is built from source on every start (esbuild, a few hundred ms), so it always
// matches the code and no built file is kept in git. Without it the API still starts.
let dashboard: BuiltDashboard | undefined;
try {
  dashboard = await buildDashboard();
} catch (err) {
  logger.warn('the dashboard could not be built, serving the API only', { error: (err as Error).message });
}

const stack = await startLocalStack(config, { dashboard, logger }).catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  // What a user can fix is said plainly; anything else goes through the logger, stack and all.
  if (e.code === 'EADDRINUSE') console.error(`Port ${config.port} is in use; set PORT to another port.`);
  else if (e.message?.startsWith('The data directory'))
    console.error(`${e.message} Stop it, or set TUNEPLANE_DATA_DIR to another directory.`);
  else logger.error('the stack failed to start', { error: e.stack ?? String(e) });
  process.exit(1);
});

console.log(`Data directory: ${config.dataDir}`);
console.log(`Base models: ${stack.baseModels.length ? stack.baseModels.join(', ') : '(none found)'}`);
const { resumed, requeued } = stack.recovered;
if (resumed.length || requeued.length) {
  console.log(
    `Recovered local jobs: ${resumed.length} resumed from their checkpoints, ${requeued.length} queued again`,
  );
}
console.log(`API key${stack.apiKeyCreated ? ' (new)' : ''}: ${stack.apiKey}`);
if (stack.dashboardUrl) console.log(`Dashboard: ${stack.dashboardUrl} (paste the API key)`);
// performance.now() counts from process start: the first figure includes loading the code.
console.log(
  `Tuneplane is ready at ${stack.baseUrl} ` +
    `(${Math.round(performance.now())} ms after process start, boot ${Math.round(performance.now() - t0)} ms)`,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal} received, stopping…`);
  const force = setTimeout(() => {
    console.error('Shutdown took longer than 10 s; exiting.');
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  } catch (err) {
    logger.error('the stack failed to stop cleanly', { error: (err as Error).stack ?? String(err) });
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
