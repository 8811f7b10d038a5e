/** One chat message as training files hold it (OpenAI's shape, plus `weight` on assistant turns). */
import { z } from 'zod';

const ContentSchema = z.union([
  z.string(),
  z.null(),
  z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()),
]);

export const MessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: ContentSchema.optional(),
    /** Assistant messages only: 0 = context, not learned from. */
    weight: z.union([z.literal(0), z.literal(1)]).optional(),
    tool_calls: z.array(z.unknown()).optional(),
    name: z.string().optional(),
  })
  .loose();

export type ChatMessage = z.infer<typeof MessageSchema>;
