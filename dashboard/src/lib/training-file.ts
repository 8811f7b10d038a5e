/**
 * Choosing a training or validation file: an existing validated file, or a new upload that the API
 * validates on the spot — up to 8 MB in one request (POST /v1/files), larger ones in parts through
 * the Uploads API with a progress bar. A refused upload shows the API's line-numbered report beside
 * the lines themselves (read from the chosen file in the browser).
 */
import type { File as OpenAiFile } from '../../../openapi/sdk/types.gen';
import { createFile, listFiles } from '../../../openapi/sdk/sdk.gen';
import { ApiError, api, unwrap } from './api';
import { fill, h, table } from './dom';
import { num } from './format';
import { multipartUpload } from './multipart-upload';

/** The direct-upload limit of POST /v1/files; larger files go through /v1/uploads. */
const DIRECT_UPLOAD_BYTES = 8 * 1024 * 1024;

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

export interface Problem {
  line: number | null;
  rule: string;
}

/** "Invalid fine-tune file "x": line 3: rule; line 9: rule; rule" → problems by line. */
export function parseProblems(message: string): Problem[] {
  const body = message.replace(/^Invalid fine-tune file "[^"]*": /, '');
  return body.split(/; (?=line \d+: )/).flatMap((part) => {
    const m = /^line (\d+): ([\s\S]*)$/.exec(part);
    if (!m) return [{ line: null, rule: part }];
    // A trailing rule without a line ("at least 10 examples") follows the last line's rule.
    const [rule, ...rest] = m[2].split(/; (?=[a-z])/);
    return [{ line: Number(m[1]), rule }, ...rest.map((r) => ({ line: null, rule: r }))];
  });
}

export interface FilePicker {
  element: HTMLElement;
  fileId(): string | undefined;
  onChange(fn: () => void): void;
}

function fileSummary(f: OpenAiFile): string {
  const parts = [
    f.format,
    f.example_count !== null ? `${num(f.example_count)} examples` : null,
    f.token_count !== null ? `~${num(f.token_count)} tokens` : null,
  ];
  return parts.filter(Boolean).join(' · ');
}

export function filePicker(opts: { id: string; label: string; optional: boolean }): FilePicker {
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((fn) => fn());
  const select = h('select', { id: `${opts.id}-select`, attrs: { 'aria-describedby': `${opts.id}-report` } });
  const upload = h('input', {
    id: `${opts.id}-upload`,
    type: 'file',
    accept: '.jsonl,.json,application/jsonl,application/json',
  });
  const report = h('div', {
    id: `${opts.id}-report`,
    class: 'file-report',
    attrs: { 'aria-live': 'polite' },
  });
  let files: OpenAiFile[] = [];

  const renderOptions = (selected?: string) => {
    fill(
      select,
      h('option', { value: '' }, opts.optional ? '(none)' : '(choose a file)'),
      files.map((f) => h('option', { value: f.id }, `${f.filename} — ${f.id} (${fileSummary(f)})`)),
    );
    if (selected) select.value = selected;
  };

  const refresh = async (selected?: string) => {
    const page = await unwrap(listFiles({ client: api(), query: { purpose: 'fine-tune', limit: 100 } }));
    files = page.data.filter((f) => f.status === 'processed');
    renderOptions(selected ?? select.value);
  };

  const showValid = (f: OpenAiFile) =>
    fill(
      report,
      h(
        'p',
        { class: 'ok' },
        `✓ ${f.filename} is valid: `,
        fileSummary(f),
        f.labels?.length ? ` · labels: ${f.labels.join(', ')}` : '',
      ),
    );

  const showProblems = async (file: File, message: string) => {
    const problems = parseProblems(message);
    const lines = (await file.text()).split(/\r?\n/);
    fill(
      report,
      h(
        'p',
        { class: 'error' },
        `✗ ${file.name} was refused: ${problems.length} problem${problems.length === 1 ? '' : 's'} found.`,
      ),
      table(
        ['Line', 'Problem', 'Content'],
        problems,
        (p) => [
          p.line === null ? '–' : String(p.line),
          p.rule,
          p.line === null ? '' : h('code', { class: 'line' }, (lines[p.line - 1] ?? '').slice(0, 160)),
        ],
        { caption: `Validation report for ${file.name}` },
      ),
    );
  };

  upload.addEventListener('change', async () => {
    const file = upload.files?.[0];
    if (!file) return;
    try {
      let created: OpenAiFile;
      if (file.size > DIRECT_UPLOAD_BYTES) {
        const bar = h('progress', { id: `${opts.id}-progress`, max: file.size, value: 0 });
        const label = h('span', null, `Uploading ${file.name} in parts: 0 of ${mb(file.size)}`);
        fill(report, h('p', { class: 'muted' }, h('label', { attrs: { for: bar.id } }, label), ' ', bar));
        created = await multipartUpload(file, (sent, total) => {
          bar.value = sent;
          label.textContent =
            sent < total
              ? `Uploading ${file.name} in parts: ${mb(sent)} of ${mb(total)}`
              : `Uploaded ${mb(total)}; validating ${file.name}…`;
        });
      } else {
        fill(report, h('p', { class: 'muted' }, `Uploading and validating ${file.name}…`));
        created = await unwrap(createFile({ client: api(), body: { purpose: 'fine-tune', file } }));
      }
      files = [created, ...files.filter((f) => f.id !== created.id)];
      renderOptions(created.id);
      showValid(created);
      changed();
    } catch (err) {
      if (err instanceof ApiError && err.status === 400)
        await showProblems(file, err.message.replace(/ \[file\]$/, ''));
      else fill(report, h('p', { class: 'error' }, (err as Error).message));
    } finally {
      upload.value = '';
    }
  });
  select.addEventListener('change', () => {
    const f = files.find((x) => x.id === select.value);
    if (f) showValid(f);
    else report.replaceChildren();
    changed();
  });

  const element = h(
    'div',
    { class: 'field file-field' },
    h('label', { attrs: { for: select.id } }, opts.label),
    select,
    h('div', { class: 'or' }, h('label', { attrs: { for: upload.id } }, 'or upload JSONL '), upload),
    report,
  );
  refresh().catch((e: Error) => fill(report, h('p', { class: 'error' }, e.message)));
  return { element, fileId: () => select.value || undefined, onChange: (fn) => listeners.push(fn) };
}
