/**
 * The playground (the tuned model, a checkpoint and the base model answering one prompt side by
 * side) needs a chat completions endpoint, which the API does not have yet. Until it does, this
 * page says so rather than pretending.
 */
import { fill, h } from '../lib/dom';

export function playgroundPage(root: HTMLElement): void {
  fill(
    root,
    h('h1', null, 'Playground'),
    h(
      'p',
      { class: 'notice' },
      'Not available yet: chatting with a fine-tuned model, a checkpoint and its base model side by side needs the API’s chat completions endpoint (POST /v1/chat/completions), which is still being built. This page will use it once it exists.',
    ),
    h('p', null, 'Meanwhile, download a fine-tuned model’s files (Hugging Face layout) from its job page.'),
  );
}
