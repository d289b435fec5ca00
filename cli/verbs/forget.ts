import type { Command } from 'commander';
import { unwrap } from '../client';
import { CliError, EXIT } from '../errors';
import { orDash } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

/** "none" (keep for good) or a whole number of days. */
function days(value: string): number | null {
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`days must be a whole number ≥ 0 or "none", got "${value}"`, EXIT.usage);
  return n;
}

/** `aos delete`, `checkpoint-tag`, `checkpoint-delete`, `retention`: forgetting, on purpose or by policy. */
export function forgetVerbs(program: Command, ctx: Ctx): void {
  program
    .command('delete <id>')
    .description('delete a finished agent: its pages, checkpoints, events, tool calls, memories and Temporal history (the ledger keeps its billing)')
    .action(async (id: string) => {
      const c = ctx();
      const r = await unwrap(c.api.DELETE('/agents/{id}', { params: { path: { id } } }), `delete agent ${id}`);
      const history = 'deleted' in r.history ? `${r.history.deleted} Temporal run(s) deleted` : `Temporal history pending: ${r.history.pending}`;
      show(c, r, (v) => (v.alreadyErased ? `${id} was already deleted` : `deleted ${id}: ${v.pages} pages, ${v.checkpoints} checkpoints, ${v.events} events, ${v.toolCalls} tool calls, ${v.memories} memories; ${history}${v.forksCopied.length ? `; forks kept their copy: ${v.forksCopied.join(', ')}` : ''}`));
    });

  program
    .command('checkpoint-tag <id> <checkpoint> [tags...]')
    .description('replace a checkpoint’s tags (none: clear them); a tagged checkpoint outlives the retention policy')
    .action(async (id: string, cid: string, tags: string[]) => {
      const c = ctx();
      const r = await unwrap(c.api.PUT('/agents/{id}/checkpoints/{cid}/tags', { params: { path: { id, cid } }, body: { tags } }), `tag checkpoint ${cid}`);
      show(c, r, (v) => `${v.id}: ${v.tags.length ? v.tags.join(', ') : 'no tags'}`);
    });

  program
    .command('checkpoint-delete <id> <checkpoint>')
    .description('delete one checkpoint (it can no longer be rewound to or forked from)')
    .action(async (id: string, cid: string) => {
      const c = ctx();
      const r = await unwrap(c.api.DELETE('/agents/{id}/checkpoints/{cid}', { params: { path: { id, cid } } }), `delete checkpoint ${cid}`);
      show(c, r, (v) => `deleted ${v.id}`);
    });

  program
    .command('retention')
    .description('show the tenant’s retention policy, or set it (admin) with --finished-agent-days / --checkpoint-days')
    .option('--finished-agent-days <n|none>', 'erase finished agents this many days after they finished')
    .option('--checkpoint-days <n|none>', 'delete untagged checkpoints this many days after they were taken')
    .action(async (raw: { finishedAgentDays?: string; checkpointDays?: string }) => {
      const c = ctx();
      const o = { finishedAgentDays: raw.finishedAgentDays === undefined ? undefined : days(raw.finishedAgentDays), checkpointDays: raw.checkpointDays === undefined ? undefined : days(raw.checkpointDays) };
      const current = await unwrap(c.api.GET('/retention', {}), 'read the retention policy');
      const setting = o.finishedAgentDays !== undefined || o.checkpointDays !== undefined;
      const r = setting
        ? await unwrap(c.api.PUT('/retention', { body: { finishedAgentDays: o.finishedAgentDays !== undefined ? o.finishedAgentDays : current.finishedAgentDays, checkpointDays: o.checkpointDays !== undefined ? o.checkpointDays : current.checkpointDays } }), 'set the retention policy')
        : current;
      const d = (n: number | null) => (n === null ? 'kept' : `${n} days`);
      show(c, r, (v) => `${v.tenant}: finished agents ${d(v.finishedAgentDays)}, untagged checkpoints ${d(v.checkpointDays)} (set by ${orDash(v.updatedBy)})`);
    });
}
