/**
 * `tuneplane chat <model>`: a conversation with a base model, a fine-tuned model or a checkpoint,
 * each reply streamed to the terminal as it is generated. One-shot with `-m "…"` (prints the reply
 * and exits), else interactive: each line you type is a user turn, the conversation so far is sent
 * with it; an empty line or end of input ends the session.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import { createChatCompletion } from '../../openapi/sdk/sdk.gen';
import type { ChatCompletionChunk, CreateChatCompletionRequest } from '../../openapi/sdk/types.gen';
import { CliError, unwrap } from './client';

type Message = CreateChatCompletionRequest['messages'][number];

interface ChatOptions {
  message?: string;
  system?: string;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
}

/** Streams one reply to `out`; returns its text. */
export async function streamReply(
  client: Client,
  body: CreateChatCompletionRequest,
  out: NodeJS.WritableStream,
): Promise<string> {
  const res = await createChatCompletion({ client, body: { ...body, stream: true }, parseAs: 'stream' });
  const stream = unwrap(res) as unknown as ReadableStream<Uint8Array>;
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  for await (const bytes of stream as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const parsed = JSON.parse(data) as ChatCompletionChunk & { error?: { message: string; code?: string } };
      if (parsed.error) throw new CliError(parsed.error.message, parsed.error.code ?? 'inference_failed');
      const piece = parsed.choices[0]?.delta.content ?? '';
      text += piece;
      out.write(piece);
    }
  }
  return text;
}

export function registerChatCommand(program: Command, client: () => Client): void {
  program
    .command('chat <model>')
    .description(
      'Chat with a model (base, ft:…, or ft:…:ckpt-step-N), replies streamed as they are generated',
    )
    .option('-m, --message <text>', 'send one message, print the reply and exit')
    .option('-s, --system <text>', 'a system message first')
    .option('-t, --temperature <t>', 'sampling temperature (0 = greedy)', parseFloat)
    .option('--max-tokens <n>', 'new tokens per reply at most', (v) => parseInt(v, 10))
    .option('--seed <n>', 'seed for reproducible sampling', (v) => parseInt(v, 10))
    .action(async (model: string, o: ChatOptions) => {
      const c = client();
      const messages: Message[] = o.system ? [{ role: 'system', content: o.system }] : [];
      const ask = async (content: string) => {
        messages.push({ role: 'user', content });
        const reply = await streamReply(
          c,
          {
            model,
            messages,
            ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
            ...(o.maxTokens !== undefined ? { max_completion_tokens: o.maxTokens } : {}),
            ...(o.seed !== undefined ? { seed: o.seed } : {}),
          },
          process.stdout,
        );
        process.stdout.write('\n');
        messages.push({ role: 'assistant', content: reply });
      };
      if (o.message !== undefined) return ask(o.message);
      const tty = process.stdin.isTTY === true;
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
      rl.setPrompt('> ');
      if (tty) rl.prompt();
      for await (const line of rl) {
        if (!line.trim()) break;
        await ask(line);
        if (tty) rl.prompt();
      }
      rl.close();
    });
}
