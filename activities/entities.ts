import { Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { applyFacts, currentFacts, pagesToRead } from '../db/entities';
import { emitEvent } from '../db/events';
import { bill, ledgerTotals } from '../db/ledger';
import type { PubSub } from '../db/notify';
import { agents, usageLedger } from '../db/schema';
import { priceOf } from '../kernel/cost/price-table';
import { costUsd } from '../kernel/cost/prices';
import type { Spend } from '../kernel/cost/budget';
import { countTextTokens } from '../kernel/llm/tokens';
import type { LlmProvider } from '../kernel/llm/types';
import { extractFactsByRules } from '../kernel/memory/extract-rules';
import { EXTRACTION_PROMPT, parseModelFacts } from '../kernel/memory/extract-model';
import type { Fact } from '../kernel/memory/fact';
import { reconcileFacts } from '../kernel/memory/reconcile';
import type { ProviderGuard } from './llm/guard';

/** What the `extractEntities` activity is asked: the agent, and the new pages its last step took in. */
export interface ExtractEntitiesInput {
  agentId: string;
  step: number;
  pageIds: string[];
}

/** What it did: facts added, updated (a new version) and left alone, how, and what the model cost (nothing for the rules). */
export interface ExtractEntitiesResult {
  added: number;
  updated: number;
  unchanged: number;
  extractor: 'rules' | 'model' | 'off';
  usage: Spend;
  ms: number;
}

const NONE: Spend = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
const MODEL_OUTPUT_TOKENS = 512;

/** "(8 May, 2023) Caroline: I moved…" or "Caroline: I moved…" → the speaker and the words; else the user. */
export function speakerOf(body: string): { speaker: string; text: string } {
  const m = /^(?:\([^)]{1,40}\)\s*)?([\p{Lu}][\p{L}'’-]{1,40}):\s+([\s\S]*)$/u.exec(body);
  return m ? { speaker: m[1]!, text: m[2]! } : { speaker: 'user', text: body };
}

/** Dependencies of entity extraction: storage, events, and the agent's model where it is allowed. */
export interface EntityDeps {
  db: Db;
  pubsub: PubSub;
  providerFor: (spec: string) => LlmProvider;
  guard: ProviderGuard;
}

/**
 * Builds the `extractEntities` activity: off the step's path, it reads the user messages a step took
 * in, extracts facts (the agent's model when its `entityMemory` is `model` and it has one and the
 * budget covers it, else the deterministic rules), reconciles them with the agent's current facts and
 * stores the result in one transaction. The model's tokens are billed to the agent (ledger part
 * `entities`) and returned for its budget. Safe to repeat.
 */
export function createEntityExtraction(deps: EntityDeps) {
  return {
    extractEntities: async (input: ExtractEntitiesInput): Promise<ExtractEntitiesResult> => {
      const started = performance.now();
      const [agent] = await deps.db.select().from(agents).where(eq(agents.id, input.agentId)).limit(1);
      const mode = (agent?.definition as { constraints?: { entityMemory?: 'rules' | 'model' | 'off' } } | undefined)?.constraints?.entityMemory ?? 'rules';
      if (!agent || agent.deletedAt || mode === 'off') return { added: 0, updated: 0, unchanged: 0, extractor: 'off', usage: NONE, ms: 0 };
      const pages = (await pagesToRead(deps.db, input.agentId, input.pageIds)).filter((p) => p.role === 'user' && p.kind === 'message');
      const said = pages.map((p) => ({ page: p, ...speakerOf(p.body) }));
      const byRules: Array<Fact & { pageId: string }> = said.flatMap((s) => extractFactsByRules(s.text, s.speaker).map((f) => ({ ...f, pageId: s.page.id })));
      let facts = byRules;
      let extractor: 'rules' | 'model' = 'rules';
      let usage = NONE;
      if (mode === 'model' && said.length) {
        const viaModel = await modelFacts(deps, agent, input, said.map((s) => ({ pageId: s.page.id, line: `${s.speaker}: ${s.text}` })));
        if (viaModel) {
          ({ facts, usage } = viaModel);
          extractor = 'model';
        }
      }
      const actions = reconcileFacts(await currentFacts(deps.db, input.agentId), facts);
      const counts = await applyFacts(deps.db, input.agentId, input.step, actions, (a) => ({ sourcePageId: (a.fact as Fact & { pageId?: string }).pageId ?? pages[0]!.id, extractor }));
      if (counts.added + counts.updated > 0) await emitEvent(deps.db, deps.pubsub, { agentId: input.agentId, step: input.step, kind: 'memory.facts', data: { ...counts, extractor } });
      return { ...counts, extractor, usage, ms: Math.round((performance.now() - started) * 10) / 10 };
    },
  };
}

/** Facts read by the agent's own model, billed to it; undefined when it has none (scripted), the budget cannot cover it, or the call fails (the rules stand in). */
async function modelFacts(deps: EntityDeps, agent: typeof agents.$inferSelect, input: ExtractEntitiesInput, lines: Array<{ pageId: string; line: string }>): Promise<{ facts: Array<Fact & { pageId: string }>; usage: Spend } | undefined> {
  let provider: LlmProvider;
  try {
    provider = deps.providerFor(agent.model);
  } catch {
    return undefined;
  }
  if (provider.name === 'scripted') return undefined;
  const text = lines.map((l) => l.line).join('\n').slice(0, 20_000);
  const messages = [
    { role: 'system' as const, content: EXTRACTION_PROMPT },
    { role: 'user' as const, content: text },
  ];
  const price = priceOf(agent.model);
  const estimate = countTextTokens(EXTRACTION_PROMPT) + countTextTokens(text) + MODEL_OUTPUT_TOKENS;
  const budget = (agent.definition as { constraints?: { maxTotalTokens?: number | null; maxCostUsd?: number | null } }).constraints ?? {};
  if (budget.maxTotalTokens || budget.maxCostUsd) {
    const { spend } = await ledgerTotals(deps.db, eq(usageLedger.agentId, agent.id));
    if (budget.maxTotalTokens && spend.promptTokens + spend.completionTokens + estimate > budget.maxTotalTokens) return undefined;
    if (budget.maxCostUsd && spend.costUsd + costUsd(price, estimate, MODEL_OUTPUT_TOKENS) > budget.maxCostUsd) return undefined;
  }
  try {
    const out = await deps.guard(provider, { messages, maxTokens: MODEL_OUTPUT_TOKENS }, estimate, Context.current().cancellationSignal);
    const usage: Spend = { promptTokens: out.usage.promptTokens, completionTokens: out.usage.completionTokens, costUsd: costUsd(price, out.usage.promptTokens, out.usage.completionTokens) };
    await bill(deps.db, { agentId: agent.id, branch: agent.branch, step: input.step, part: 'entities', tenant: agent.tenant, model: agent.model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costUsd: usage.costUsd });
    // Each fact is credited to the message whose words it quotes (the first message when none matches).
    const facts = parseModelFacts(out.text).map((f) => ({ ...f, pageId: lines.find((l) => l.line.includes(f.sentence))?.pageId ?? lines[0]!.pageId }));
    return { facts, usage };
  } catch {
    return undefined;
  }
}
