/**
 * The dashboard shell: a key prompt until the user pastes an API key (kept in sessionStorage),
 * then the navigation and the page of the current hash route.
 */
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { forgetKey, saveKey, storedKey } from './lib/api';
import { clearFlash, fill, h } from './lib/dom';
import { Router } from './lib/router';
import { jobsPage } from './pages/jobs';
import { newJobPage } from './pages/new-job';
import { jobPage } from './pages/job';
import { sweepsPage } from './pages/sweeps';
import { sweepPage } from './pages/sweep';
import { webhooksPage } from './pages/webhooks';
import { webhookEndpointPage } from './pages/webhook-endpoint';
import { playgroundPage } from './pages/playground';

const NAV: { href: string; label: string; match: RegExp; note?: string }[] = [
  { href: '#/jobs', label: 'Jobs', match: /^\/jobs(?!\/new)/ },
  { href: '#/jobs/new', label: 'New job', match: /^\/jobs\/new/ },
  { href: '#/sweeps', label: 'Sweeps', match: /^\/sweeps/ },
  { href: '#/webhooks', label: 'Webhooks', match: /^\/webhooks/ },
  { href: '#/playground', label: 'Playground', match: /^\/playground/ },
];

function keyPrompt(root: HTMLElement): void {
  const input = h('input', {
    id: 'api-key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    attrs: { 'aria-describedby': 'api-key-help', spellcheck: 'false' },
  });
  fill(
    root,
    h(
      'main',
      { class: 'key-prompt', id: 'main' },
      h('h1', null, 'Tuneplane'),
      h(
        'form',
        {
          on: {
            submit: (e: Event) => {
              e.preventDefault();
              if (!input.value.trim()) return;
              saveKey(input.value);
              boot();
            },
          },
        },
        h('label', { attrs: { for: 'api-key' } }, 'API key'),
        input,
        h(
          'p',
          { id: 'api-key-help', class: 'help' },
          '`npm start` prints it (tp_…). It is kept in this browser tab only (sessionStorage) and sent to this site’s /v1 API.',
        ),
        h('button', { type: 'submit' }, 'Open the dashboard'),
      ),
    ),
  );
  input.focus();
}

function shell(root: HTMLElement): HTMLElement {
  const nav = h(
    'nav',
    { attrs: { 'aria-label': 'Main' } },
    h(
      'ul',
      null,
      NAV.map((n) =>
        h(
          'li',
          null,
          h(
            'a',
            { href: n.href, class: n.note ? 'pending' : '' },
            n.label,
            n.note ? h('span', { class: 'tag' }, 'soon') : null,
          ),
        ),
      ),
    ),
  );
  markCurrent = () => {
    const path = Router.path();
    nav.querySelectorAll('a').forEach((a, i) => {
      if (NAV[i].match.test(path)) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  };
  markCurrent();
  const main = h('main', { id: 'main' });
  fill(
    root,
    h(
      'a',
      { class: 'skip', href: '#main', on: { click: (e: Event) => (e.preventDefault(), main.focus()) } },
      'Skip to content',
    ),
    h(
      'header',
      null,
      h('a', { class: 'brand', href: '#/jobs' }, 'Tuneplane'),
      nav,
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          on: {
            click: () => {
              forgetKey();
              boot();
            },
          },
        },
        'Forget key',
      ),
    ),
    h('div', { id: 'flash', attrs: { role: 'alert', 'aria-live': 'assertive' } }),
    main,
  );
  main.tabIndex = -1;
  return main;
}

let router: Router | undefined;
let markCurrent = () => {};

window.addEventListener('hashchange', () => {
  clearFlash();
  markCurrent();
  router?.render();
});

function boot(): void {
  const root = document.getElementById('app')!;
  router = undefined;
  if (!storedKey()) {
    keyPrompt(root);
    return;
  }
  const main = shell(root);
  const notFound = (el: HTMLElement) =>
    fill(el, h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/jobs' }, 'Back to jobs')));
  router = new Router(main, notFound)
    .add('/jobs', jobsPage)
    .add('/jobs/new', newJobPage)
    .add('/jobs/:id', jobPage)
    .add('/sweeps', sweepsPage)
    .add('/sweeps/:id', sweepPage)
    .add('/webhooks', webhooksPage)
    .add('/webhooks/:id', webhookEndpointPage)
    .add('/playground', playgroundPage);
  router.render();
}

window.addEventListener('tuneplane:unauthorized', () => boot());
boot();
