/**
 * Chat templates: a model folder's Jinja chat_template (ChatML here) renders training examples and
 * serving prompts the same way, learns assistant text plus its end-of-turn token, and ends
 * generation at that token; without one, ours is used, and its Jinja form renders the same text.
 */
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { chatFormatFor, TUNEPLANE_CHAT_TEMPLATE } from '../../../../runner/data';
import { buildCharTokenizer, loadTokenizer } from '../../../../runner/tokenizer';

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function chatmlTokenizer() {
  const base = buildCharTokenizer('abcdefghijklmnopqrstuvwxyz \n!?');
  const { 'tokenizer.json': json, 'tokenizer_config.json': config } = base.files() as {
    'tokenizer.json': { added_tokens: unknown[]; model: { vocab: Record<string, number> } };
    'tokenizer_config.json': Record<string, unknown>;
  };
  const next = Object.keys(json.model.vocab).length;
  const specials = ['<|im_start|>', '<|im_end|>'];
  const vocab = { ...json.model.vocab };
  specials.forEach((s, i) => (vocab[s] = next + i));
  return loadTokenizer(
    {
      ...json,
      model: { ...json.model, vocab },
      added_tokens: [
        ...json.added_tokens,
        ...specials.map((content, i) => ({
          id: next + i,
          content,
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
          special: true,
        })),
      ],
    },
    { ...config, chat_template: CHATML },
  );
}

describe('a model’s own chat_template (ChatML)', () => {
  const tok = chatmlTokenizer();
  const format = chatFormatFor(tok);
  const imEnd = tok.encode('<|im_end|>');

  it('is used, and its end-of-turn token ends generation', () => {
    expect(format.kind).toBe('jinja');
    expect(imEnd).toHaveLength(1);
    expect(format.stopTokenIds).toEqual([imEnd[0], tok.eosId]);
  });

  it('learns the assistant’s text and the end-of-turn token, nothing of the other turns', () => {
    const { ids, target } = format.renderTraining([
      { role: 'system', content: 'be kind' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello!' },
      { role: 'user', content: 'bye' },
      { role: 'assistant', content: 'ciao', weight: 0 },
    ]);
    expect(tok.decode(ids)).toBe(
      '<|im_start|>system\nbe kind<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello!<|im_end|>\n' +
        '<|im_start|>user\nbye<|im_end|>\n<|im_start|>assistant\nciao<|im_end|>\n',
    );
    const learned = ids.filter((_, i) => target[i] === 1);
    // the first assistant turn's text, the template's closing (<|im_end|>\n); the weight-0 turn not
    expect(tok.decode(learned)).toBe('hello!<|im_end|>\n');
  });

  it('prompts for the next turn with the same tokens training saw before an assistant turn', () => {
    const history = [
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'hello!' },
      { role: 'user' as const, content: 'bye' },
    ];
    const prompt = format.renderPrompt(history);
    const trained = format.renderTraining([...history, { role: 'assistant' as const, content: 'ciao' }]);
    expect(trained.ids.slice(0, prompt.length)).toEqual(prompt);
    expect(tok.decode(prompt).endsWith('<|im_start|>assistant\n')).toBe(true);
  });
});

describe('models without a chat_template', () => {
  const tok = buildCharTokenizer('abcdefghijklmnopqrstuvwxyz :!');
  const format = chatFormatFor(tok);

  it('use ours, whose Jinja form (saved with tuned models) renders the same text', () => {
    expect(format.kind).toBe('tuneplane');
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello!' },
    ];
    const ids = format.renderTraining(messages as never).ids;
    const jinja = new Template(TUNEPLANE_CHAT_TEMPLATE).render({
      messages,
      add_generation_prompt: false,
      eos_token: '<|endoftext|>',
    });
    expect(tok.decode(ids)).toBe(jinja);
    expect(tok.decode(format.renderPrompt([{ role: 'user', content: 'hi' }]))).toBe(
      'user: hi<|endoftext|>assistant: ',
    );
    expect(format.stopTokenIds).toEqual([tok.eosId]);
  });
});
