/**
 * GET /v1/eval_reports/{run_id}?token=…: what a run's report_url opens — a self-contained HTML page
 * (no scripts, nothing fetched) with the run's status, pass rates per criterion, usage and its first
 * rows; `format=json` (or `Accept: application/json`) gives the same as JSON.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { evalRunReportRoute } from '../../../openapi/routes/evals';
import { runReport, type RunReport } from '../../domain/evals/report';
import type { EvalApiDeps } from '../deps';
import type { ApiEnv } from '../env';
import { presentEval, presentOutputItem, presentRun } from './evals-present';

const esc = (v: unknown) =>
  String(v).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : '–');

function html(r: RunReport): string {
  const { run, items } = r;
  const c = run.counts;
  const criteria = run.perCriteria
    .map(
      (x) =>
        `<tr><td>${esc(x.label)}</td><td>${x.passed}</td><td>${x.failed}</td><td>${pct(x.passed, x.passed + x.failed)}</td></tr>`,
    )
    .join('');
  const usage = Object.entries(run.usage)
    .map(
      ([m, u]) =>
        `<tr><td>${esc(m)}</td><td>${u.invocation_count}</td><td>${u.prompt_tokens}</td><td>${u.completion_tokens}</td></tr>`,
    )
    .join('');
  const rows = items
    .map((i) => {
      const input = i.sample.input.map((m) => `<b>${esc(m.role)}:</b> ${esc(m.content)}`).join('<br>');
      const output = i.sample.output.map((m) => esc(m.content)).join('<br>');
      const results = i.results
        .map(
          (x) =>
            `<span class="${x.passed ? 'pass' : 'fail'}">${esc(x.name)}: ${Number(x.score.toFixed(4))}</span>`,
        )
        .join(' ');
      const error = i.sample.error ? `<div class="fail">${esc(i.sample.error.message)}</div>` : '';
      return `<tr><td>${i.datasource_item_id}</td><td class="${i.status === 'pass' ? 'pass' : 'fail'}">${esc(i.status)}</td><td><pre>${esc(JSON.stringify(i.datasource_item, null, 1))}</pre>${input}</td><td>${output}${error}</td><td>${results}</td></tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.eval.name)} · ${esc(run.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;white-space:pre-wrap;max-width:40em}.pass{color:#176b2c}.fail{color:#a01b1b}</style>
</head><body>
<h1>${esc(r.eval.name)}</h1>
<p>Run <code>${esc(run.id)}</code> “${esc(run.name)}” · model <b>${esc(run.model ?? 'given samples')}</b> · status <b>${esc(run.status)}</b>${run.error ? ` · <span class="fail">${esc(run.error.message)}</span>` : ''}</p>
<p>${c.passed} passed, ${c.failed} failed, ${c.errored} errored of ${c.total} rows: pass rate <b>${pct(c.passed, c.total)}</b></p>
<h2>Testing criteria</h2><table><tr><th>criterion</th><th>passed</th><th>failed</th><th>pass rate</th></tr>${criteria}</table>
${usage ? `<h2>Model usage</h2><table><tr><th>model</th><th>calls</th><th>prompt tokens</th><th>completion tokens</th></tr>${usage}</table>` : ''}
<h2>Rows${r.moreItems ? ` (first ${items.length})` : ''}</h2>
<table><tr><th>#</th><th>status</th><th>item / input</th><th>output</th><th>grades</th></tr>${rows}</table>
</body></html>`;
}

export function registerEvalReportRoutes(app: OpenAPIHono<ApiEnv>, evals: EvalApiDeps) {
  app.openapi(evalRunReportRoute, async (c) => {
    const { token, format } = c.req.valid('query');
    const report = await runReport({ evals: evals.store }, c.req.valid('param').run_id, token);
    const wantsJson =
      format === 'json' || (!format && (c.req.header('accept') ?? '').includes('application/json'));
    if (wantsJson) {
      return c.json(
        {
          eval: presentEval(report.eval),
          run: presentRun(report.run, new URL(c.req.url).origin),
          output_items: report.items.map(presentOutputItem),
          has_more: report.moreItems,
        },
        200,
      );
    }
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    c.header('Cache-Control', 'no-store');
    return c.html(html(report), 200);
  });
}
