/**
 * New job: training/validation file (uploaded and validated here, or chosen), base model, provider,
 * the schema-generated hyperparameter form, then the estimate (every value resolved and explained,
 * steps and duration) before the job is created. Any change to the form asks for a fresh estimate.
 */
import type { FineTuningJobCreate, FineTuningJobEstimate } from '../../../openapi/sdk/types.gen';
import { createFineTuningJob, estimateFineTuningJob, listModels } from '../../../openapi/sdk/sdk.gen';
import { ApiError, api, unwrap } from '../lib/api';
import { actionButton, fill, h, showError } from '../lib/dom';
import { duration, num } from '../lib/format';
import { hyperparameterForm } from '../lib/hp-form';
import { resolvedTable } from '../lib/resolved';
import { deref, schema } from '../lib/schema';
import { filePicker } from '../lib/training-file';

export function newJobPage(root: HTMLElement): void {
  const training = filePicker({ id: 'training', label: 'Training file', optional: false });
  const validation = filePicker({
    id: 'validation',
    label: 'Validation file (optional; needed for validation loss and early stopping)',
    optional: true,
  });
  const model = h('select', { id: 'model', required: true }, h('option', { value: '' }, 'Loading models…'));
  const providers = (deref(schema('Provider')).enum ?? []) as string[];
  const provider = h(
    'select',
    { id: 'provider' },
    providers.map((p) => h('option', { value: p }, p)),
  );
  const suffix = h('input', {
    id: 'suffix',
    type: 'text',
    placeholder: 'optional, e.g. support-bot',
    autocomplete: 'off',
  });
  const seed = h('input', {
    id: 'seed',
    type: 'text',
    attrs: { inputmode: 'numeric' },
    placeholder: 'random',
    autocomplete: 'off',
  });
  const hp = hyperparameterForm();
  const estimateBox = h('section', {
    id: 'estimate',
    class: 'estimate',
    attrs: { 'aria-live': 'polite', 'aria-label': 'Estimate' },
  });
  let estimated: string | null = null;

  const request = (): FineTuningJobCreate => {
    const body: FineTuningJobCreate = {
      model: model.value,
      training_file: training.fileId() ?? '',
      provider: provider.value as FineTuningJobCreate['provider'],
      method: { type: 'supervised', supervised: { hyperparameters: hp.value() as never } },
    };
    const v = validation.fileId();
    if (v) body.validation_file = v;
    if (suffix.value.trim()) body.suffix = suffix.value.trim();
    if (seed.value.trim()) body.seed = Number(seed.value.trim());
    return body;
  };

  const create = actionButton(
    'Create job',
    async () => {
      const body = request();
      if (JSON.stringify(body) !== estimated)
        throw new Error('The form changed since the estimate: estimate again first.');
      try {
        const job = await unwrap(createFineTuningJob({ client: api(), body }));
        location.hash = `#/jobs/${job.id}`;
      } catch (err) {
        reportError(err);
      }
    },
    { id: 'create-job', disabled: true, class: 'primary' },
  );

  const reportError = (err: unknown) => {
    if (err instanceof ApiError && hp.markError(err.param, err.message)) {
      showError(err);
      return;
    }
    throw err;
  };

  const invalidate = () => {
    if (estimated === null) return;
    estimated = null;
    create.disabled = true;
    estimateBox.classList.add('stale');
    estimateBox.prepend(h('p', { class: 'notice' }, 'The form changed: estimate again before creating.'));
  };
  for (const el of [model, provider, suffix, seed]) el.addEventListener('input', invalidate);
  training.onChange(invalidate);
  validation.onChange(invalidate);
  hp.onChange(invalidate);

  const showEstimate = (e: FineTuningJobEstimate) => {
    estimateBox.classList.remove('stale');
    fill(
      estimateBox,
      h('h2', null, 'Estimate'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Data'),
        h(
          'dd',
          null,
          `${e.format}: ${num(e.training_examples)} training examples (~${num(e.training_tokens)} tokens)`,
          e.validation_examples !== null ? `, ${num(e.validation_examples)} validation examples` : '',
        ),
        h('dt', null, 'Steps'),
        h(
          'dd',
          null,
          `${num(e.total_steps)} (${num(e.steps_per_epoch)} per epoch × ${e.hyperparameters.n_epochs} epochs)`,
        ),
        h('dt', null, 'Trained tokens'),
        h('dd', null, num(e.trained_tokens)),
        h('dt', null, 'Duration'),
        h(
          'dd',
          { id: 'estimate-duration' },
          `about ${duration(e.estimated_duration_seconds)}`,
          h('div', { class: 'help' }, e.duration_explanation),
        ),
      ),
      resolvedTable(
        e.hyperparameters as unknown as Record<string, unknown>,
        e.hyperparameter_explanations,
        'Resolved hyperparameters',
      ),
    );
  };

  const estimate = actionButton(
    'Estimate',
    async () => {
      hp.clearErrors();
      const body = request();
      if (!body.training_file) throw new Error('Choose or upload a training file first.');
      if (!body.model) throw new Error('Choose a base model first.');
      try {
        const e = await unwrap(estimateFineTuningJob({ client: api(), body }));
        estimated = JSON.stringify(body);
        showEstimate(e);
        create.disabled = false;
      } catch (err) {
        reportError(err);
      }
    },
    { id: 'estimate-job' },
  );

  fill(
    root,
    h('h1', null, 'New fine-tuning job'),
    h(
      'form',
      { class: 'new-job', on: { submit: (e: Event) => e.preventDefault() } },
      h('fieldset', null, h('legend', null, 'Data'), training.element, validation.element),
      h(
        'fieldset',
        null,
        h('legend', null, 'Model'),
        h('div', { class: 'field' }, h('label', { attrs: { for: 'model' } }, 'Base model'), model),
        h(
          'div',
          { class: 'field' },
          h('label', { attrs: { for: 'provider' } }, 'Provider'),
          provider,
          h(
            'p',
            { class: 'help' },
            'local: a trainer process on the API’s machine; batch: AWS Batch GPU containers; openai: OpenAI’s fine-tuning service.',
          ),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { attrs: { for: 'suffix' } }, 'Suffix'),
          suffix,
          h('p', { class: 'help' }, 'Part of the fine-tuned model’s name.'),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { attrs: { for: 'seed' } }, 'Seed'),
          seed,
          h('p', { class: 'help' }, 'Makes the run reproducible; random when empty.'),
        ),
      ),
      hp.element,
      h('div', { class: 'actions' }, estimate, create),
    ),
    estimateBox,
  );

  unwrap(listModels({ client: api() }))
    .then((list) => {
      const sorted = [...list.data].sort(
        (a, b) => Number(a.id.startsWith('ft:')) - Number(b.id.startsWith('ft:')) || a.id.localeCompare(b.id),
      );
      fill(
        model,
        h('option', { value: '' }, '(choose a model)'),
        sorted.map((m) => h('option', { value: m.id }, `${m.id} (${m.owned_by})`)),
      );
      if (sorted.length === 1) model.value = sorted[0].id;
    })
    .catch(showError);
}
