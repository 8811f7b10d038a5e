/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, sandbox off (CI
 * runs as root), every background fetch off (closed network), a fresh profile per launch. Also the
 * axe-core accessibility scan, injected through the DevTools protocol (the dashboard's CSP allows
 * no inline script).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
export const CHROMIUM = process.env.TUNEPLANE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, 'screenshots');

export interface Chromium {
  browser: BrowserContext;
  page(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(path.join(tmpdir(), 'tuneplane-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser: context,
    page: () => context.newPage(),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser, Page };

/** Opens the dashboard and pastes the key into its prompt, as a user does. */
export async function signIn(page: Page, dashboardUrl: string, apiKey: string): Promise<void> {
  await page.goto(dashboardUrl);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's violations of the page as it is now (WCAG 2.x A/AA rules and best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const doc = (globalThis as unknown as { document: unknown }).document;
    const r = await axe.run(doc, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}

/** Serious and critical violations, one line each, for an assertion message. */
export function seriousViolations(vs: AxeViolation[]): string[] {
  return vs
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
