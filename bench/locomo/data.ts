import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const turnSchema = z.object({ speaker: z.string(), dia_id: z.string(), text: z.string() });
const qaSchema = z.object({ question: z.string(), evidence: z.array(z.string()).default([]), category: z.number().int() });

/** One dated turn of a conversation. */
export interface Turn {
  diaId: string;
  speaker: string;
  text: string;
  /** The session's date, as written in the file (e.g. "8 May, 2023"). */
  date: string;
  session: number;
}

/** A LoCoMo conversation: its turns in order and its questions. */
export interface Conversation {
  id: string;
  turns: Turn[];
  questions: Array<z.infer<typeof qaSchema>>;
}

/** "1:56 pm on 8 May, 2023" → "8 May, 2023" (the time of day is noise for retrieval). */
function dateOf(raw: unknown): string {
  return typeof raw === 'string' ? (raw.split(' on ')[1] ?? raw) : '';
}

/** Reads every `*.json` LoCoMo-format file in `folder` (sessions `session_N` with `session_N_date_time`). */
export function loadConversations(folder: string): Conversation[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Record<string, unknown>;
      const sessions = Object.keys(raw)
        .map((k) => /^session_(\d+)$/.exec(k)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      const turns: Turn[] = [];
      for (const n of sessions) {
        const date = dateOf(raw[`session_${n}_date_time`]);
        for (const t of z.array(turnSchema).parse(raw[`session_${n}`])) turns.push({ diaId: t.dia_id, speaker: t.speaker, text: t.text, date, session: n });
      }
      const questions = z.array(qaSchema).parse(raw.qa ?? []);
      return { id: file.replace(/\.json$/, ''), turns, questions };
    });
}

/** LoCoMo's question categories. */
export const CATEGORY_NAMES: Record<number, string> = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop', 5: 'adversarial' };
