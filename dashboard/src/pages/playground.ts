/**
 * The playground: one prompt answered side by side by up to three models — typically the tuned
 * model, one of its checkpoints and its base model — each streamed from POST /v1/chat/completions
 * as it is generated. Stop aborts every stream (the server stops generating when the client goes).
 * `#/playground?job=<id>` starts with that job's tuned model, its earliest kept checkpoint and its
 * base model.
 */
import type { CreateChatCompletionRequest, FineTuningJob } from '../../../openapi/sdk/types.gen';
import {
  listFineTuningJobCheckpoints,
  listFineTuningJobs,
  listModels,
  retrieveFineTuningJob,
} from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from '../lib/api';
import { streamChat } from '../lib/chat-stream';
import { fill, h, showError } from '../lib/dom';
import { routeQuery } from '../lib/router';

const PANELS = 3;
/** Jobs whose checkpoints are offered (newest first). */
const JOBS_WITH_CHECKPOINTS = 10;

interface Choices {
  base: string[];
  tuned: string[];
  checkpoints: { name: string; step: number }[];
  jobs: FineTuningJob[];
}

async function loadChoices(): Promise<Choices> {
  const [models, jobs] = await Promise.all([
    unwrap(listModels({ client: api() })),
    unwrap(listFineTuningJobs({ client: api(), query: { limit: 100, status: 'succeeded' } })),
  ]);
  const tunedJobs = jobs.data.filter((j) => j.fine_tuned_model).slice(0, JOBS_WITH_CHECKPOINTS);
  const pages = await Promise.all(
    tunedJobs.map((j) =>
      unwrap(
        listFineTuningJobCheckpoints({
          client: api(),
          path: { fine_tuning_job_id: j.id },
          query: { limit: 20 },
        }),
      ).then(
        (p) => p.data,
        () => [],
      ),
    ),
  );
  return {
    base: models.data.filter((m) => !m.base_model).map((m) => m.id),
    tuned: models.data.filter((m) => m.base_model).map((m) => m.id),
    checkpoints: pages.flat().map((c) => ({ name: c.fine_tuned_model_checkpoint, step: c.step_number })),
    jobs: tunedJobs,
  };
}

/** The tuned model, its earliest kept checkpoint and its base model. */
async function defaultsFor(job: FineTuningJob | undefined, choices: Choices): Promise<string[]> {
  if (!job?.fine_tuned_model) return [choices.tuned[0] ?? choices.base[0] ?? '', '', ''];
  const cps = await unwrap(
    listFineTuningJobCheckpoints({
      client: api(),
      path: { fine_tuning_job_id: job.id },
      query: { limit: 20 },
    }),
  ).catch(() => ({ data: [] }));
  const earliest = [...cps.data].sort((a, b) => a.step_number - b.step_number)[0];
  return [job.fine_tuned_model, earliest?.fine_tuned_model_checkpoint ?? '', job.model];
}

interface Panel {
  select: HTMLSelectElement;
  answer: HTMLElement;
  stats: HTMLElement;
  element: HTMLElement;
}

function panel(i: number, choices: Choices, selected: string): Panel {
  const id = `pg-model-${i}`;
  const select = h(
    'select',
    { id },
    h('option', { value: '' }, '— none —'),
    choices.tuned.length
      ? h(
          'optgroup',
          { label: 'Fine-tuned models' },
          choices.tuned.map((m) => h('option', { value: m }, m)),
        )
      : null,
    choices.checkpoints.length
      ? h(
          'optgroup',
          { label: 'Checkpoints' },
          // The step first: a checkpoint's name is its model's plus a suffix, cut off in a narrow list.
          choices.checkpoints.map((c) => h('option', { value: c.name }, `step ${c.step} · ${c.name}`)),
        )
      : null,
    h(
      'optgroup',
      { label: 'Base models' },
      choices.base.map((m) => h('option', { value: m }, m)),
    ),
  );
  // A model the lists did not include (an older job's checkpoint) is still offered.
  if (selected && ![...select.options].some((o) => o.value === selected))
    select.append(h('option', { value: selected }, selected));
  select.value = selected;
  const answer = h('div', {
    class: 'answer',
    id: `pg-answer-${i}`,
    // A log: a live region read out politely as the answer grows.
    attrs: { role: 'log', 'aria-label': `Answer of model ${i + 1}` },
  });
  const stats = h('p', { class: 'muted small', id: `pg-stats-${i}` });
  const full = h('code', { class: 'small pg-model-id' });
  const showFull = () => (full.textContent = select.value);
  select.addEventListener('change', showFull);
  showFull();
  const element = h(
    'section',
    { class: 'pg-panel', attrs: { 'aria-label': `Model ${i + 1}` } },
    h('label', { attrs: { for: id } }, `Model ${i + 1}`),
    select,
    full,
    answer,
    stats,
  );
  return { select, answer, stats, element };
}

export function playgroundPage(root: HTMLElement): () => void {
  let controller: AbortController | undefined;
  fill(root, h('h1', null, 'Playground'), h('p', { class: 'muted' }, 'Loading models…'));
  const jobId = routeQuery().get('job');

  (async () => {
    const [choices, job] = await Promise.all([
      loadChoices(),
      jobId
        ? unwrap(retrieveFineTuningJob({ client: api(), path: { fine_tuning_job_id: jobId } }))
        : undefined,
    ]);
    const selected = await defaultsFor(job ?? choices.jobs[0], choices);
    const panels = Array.from({ length: PANELS }, (_, i) => panel(i, choices, selected[i] ?? ''));

    const system = h('textarea', { id: 'pg-system', rows: 2, placeholder: 'Optional' });
    const prompt = h('textarea', { id: 'pg-prompt', rows: 3, required: true });
    const temperature = h('input', {
      id: 'pg-temperature',
      type: 'number',
      min: '0',
      max: '2',
      step: '0.1',
      value: '1',
      attrs: { 'aria-describedby': 'pg-temperature-help' },
    });
    const maxTokens = h('input', {
      id: 'pg-max-tokens',
      type: 'number',
      min: '1',
      max: '4096',
      step: '1',
      value: '64',
    });
    const seed = h('input', { id: 'pg-seed', type: 'number', step: '1', placeholder: 'random' });
    const send = h('button', { type: 'submit', id: 'pg-send', class: 'primary' }, 'Send');
    const stop = h('button', { type: 'button', id: 'pg-stop', class: 'danger', disabled: true }, 'Stop');

    const run = async () => {
      const active = panels.filter((p) => p.select.value);
      if (!prompt.value.trim() || !active.length) return;
      controller = new AbortController();
      const signal = controller.signal;
      send.disabled = true;
      stop.disabled = false;
      const messages: CreateChatCompletionRequest['messages'] = [
        ...(system.value.trim() ? [{ role: 'system' as const, content: system.value }] : []),
        { role: 'user' as const, content: prompt.value },
      ];
      const params = {
        temperature: Number(temperature.value),
        max_completion_tokens: Number(maxTokens.value),
        ...(seed.value.trim() ? { seed: Number(seed.value) } : {}),
      };
      for (const p of panels) {
        fill(p.answer);
        p.stats.textContent = '';
        p.element.dataset.state = p.select.value ? 'streaming' : '';
        p.element.dataset.chunks = '0';
      }
      await Promise.all(
        active.map(async (p) => {
          const started = performance.now();
          let first: number | undefined;
          let chunks = 0;
          p.answer.setAttribute('aria-busy', 'true');
          try {
            const r = await streamChat({ model: p.select.value, messages, ...params }, signal, (text) => {
              first ??= performance.now();
              chunks++;
              p.element.dataset.chunks = String(chunks);
              p.answer.append(text);
            });
            const seconds = (performance.now() - started) / 1000;
            p.element.dataset.state = r.stopped ? 'stopped' : 'done';
            p.stats.textContent = [
              r.stopped ? 'stopped' : `finish: ${r.finishReason ?? '–'}`,
              r.completionTokens !== undefined ? `${r.completionTokens} tokens` : `${chunks} chunks`,
              first !== undefined ? `first token ${((first - started) / 1000).toFixed(2)} s` : null,
              `${seconds.toFixed(2)} s`,
            ]
              .filter(Boolean)
              .join(' · ');
          } catch (err) {
            p.element.dataset.state = 'error';
            p.stats.textContent = '';
            p.answer.append(h('span', { class: 'error' }, (err as Error).message));
          } finally {
            p.answer.removeAttribute('aria-busy');
          }
        }),
      );
      send.disabled = false;
      stop.disabled = true;
    };
    stop.addEventListener('click', () => controller?.abort());

    fill(
      root,
      h('h1', null, 'Playground'),
      h(
        'p',
        { class: 'help' },
        'One prompt, up to three models answering side by side as they generate (POST /v1/chat/completions, streamed).',
      ),
      h(
        'form',
        {
          id: 'playground',
          on: {
            submit: (e: Event) => {
              e.preventDefault();
              run().catch(showError);
            },
          },
        },
        h(
          'div',
          { class: 'pg-prompt' },
          h('label', { attrs: { for: 'pg-system' } }, 'System message'),
          system,
          h('label', { attrs: { for: 'pg-prompt' } }, 'User message'),
          prompt,
        ),
        h(
          'fieldset',
          { class: 'pg-params' },
          h('legend', null, 'Parameters'),
          h('label', { attrs: { for: 'pg-temperature' } }, 'Temperature'),
          temperature,
          h('span', { id: 'pg-temperature-help', class: 'help' }, '0 = always the likeliest token'),
          h('label', { attrs: { for: 'pg-max-tokens' } }, 'Max tokens'),
          maxTokens,
          h('label', { attrs: { for: 'pg-seed' } }, 'Seed'),
          seed,
        ),
        h('div', { class: 'actions' }, send, stop),
        h(
          'div',
          { class: 'pg-panels' },
          panels.map((p) => p.element),
        ),
      ),
    );
    root.dataset.ready = 'true';
  })().catch((err) => {
    fill(root, h('h1', null, 'Playground'));
    showError(err);
  });
  return () => controller?.abort();
}
