/**
 * `npm start` as a user runs it: a child process in its own process group (so SIGINT reaches npm
 * and node as Ctrl-C does), ready when it prints its base URL and API key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Running {
  child: ChildProcess;
  baseUrl: string;
  apiKey: string;
  output: () => string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function start(env: Record<string, string>): Promise<Running> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    detached: true, // own process group, so SIGINT reaches npm and node like Ctrl-C does
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 45 s:\n${out}`)), 45_000);
    const check = () => {
      const ready = /ready at (http:\/\/\S+\/v1)/.exec(out);
      const key = /API key(?: \(new\))?: (\S+)/.exec(out);
      if (ready && key) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve({ child, baseUrl: ready[1], apiKey: key[1], output: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
}

export function stop(r: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-r.child.pid!, 'SIGKILL');
      reject(new Error(`did not stop within 15 s:\n${r.output()}`));
    }, 15_000);
    r.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    process.kill(-r.child.pid!, 'SIGINT');
  });
}
