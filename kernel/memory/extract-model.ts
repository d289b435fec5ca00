import { z } from 'zod';
import type { Fact } from './fact';

/** The instruction the agent's model gets to read facts from new messages (JSON lines back, nothing else). */
export const EXTRACTION_PROMPT = [
  'Read the messages and list the lasting facts they state about people, places, organisations or things',
  '(where someone lives or works, names, ages, relationships, preferences, plans with dates).',
  'One JSON object per line, nothing else: {"entity": "...", "attribute": "snake_case", "value": "...", "sentence": "the words it came from"}.',
  'A first-person fact is about the speaker named before the message. No guesses, no questions, no opinions of the assistant.',
].join(' ');

const lineSchema = z.object({
  entity: z.string().trim().min(1).max(120),
  attribute: z.string().trim().regex(/^[a-z][a-z0-9_]{0,59}$/),
  value: z.string().trim().min(1).max(200),
  sentence: z.string().trim().min(1).max(400),
});

/** The facts in a model's answer (JSON lines; anything else on a line is skipped, never trusted). */
export function parseModelFacts(text: string): Fact[] {
  const facts: Fact[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().replace(/,$/, '');
    if (!t.startsWith('{')) continue;
    try {
      const parsed = lineSchema.safeParse(JSON.parse(t));
      if (parsed.success) facts.push(parsed.data);
    } catch {
      // Not JSON: skipped.
    }
  }
  return facts;
}
