import type { Command } from 'commander';
import { unwrap } from '../client';
import { CliError, EXIT } from '../errors';
import { readEvents } from '../events';
import { count, orDash, table, usd } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

const TERMINAL = ['completed', 'failed', 'terminated'];
const idPath = (id: string) => ({ params: { path: { id } } });

/** Waits for an agent to finish, with a progress line; exit code 8 when it failed or was terminated. */
async function waitFor(ctx: VerbContext, id: string): Promise<void> {
  for (;;) {
    const a = await unwrap(ctx.api.GET('/agents/{id}', idPath(id)), `read agent ${id}`);
    ctx.progress(`${id}: ${a.status}${a.hold ? ` (${a.hold})` : ''}, step ${a.step}, ${usd(a.usage.costUsd)}`);
    if (TERMINAL.includes(a.status)) {
      if (a.status !== 'completed') throw new CliError(`agent ${id} ended ${a.status}${a.error ? `: ${a.error}` : ''}`, EXIT.agentFailed);
      return;
    }
    await Bun.sleep(500);
  }
}

/** `aos spawn`, `ps`, `describe`, `logs`, `approve`, `reject`, `pause`, `resume`, `kill`, `message`, `fork`, `checkpoints`, `rewind`, `migrate`. */
export function agentVerbs(program: Command, ctx: Ctx): void {
  program
    .command('spawn')
    .description('spawn an agent (its workflow starts at once)')
    .requiredOption('--role <role>', 'who the agent is')
    .requiredOption('--goal <goal>', 'what it is for')
    .requiredOption('--input <text>', 'its first message')
    .option('--name <name>', 'a name (default: agent)')
    .option('--model <spec>', 'provider:model, e.g. openai:gpt-4o-mini (default: the server’s MODEL)')
    .option('--tool <name...>', 'tools it may call')
    .option('--max-steps <n>', 'step limit', (v) => Number.parseInt(v, 10))
    .option('--priority <1-10>', 'scheduling priority', (v) => Number.parseInt(v, 10))
    .option('--wait', 'wait until it finishes (exit 8 if it fails)')
    .option('--idempotency-key <key>', 'run it again with the same key: the same agent comes back, no second one is spawned')
    .action(async (o: { role: string; goal: string; input: string; name?: string; model?: string; tool?: string[]; maxSteps?: number; priority?: number; wait?: boolean; idempotencyKey?: string }) => {
      const c = ctx();
      const body = { name: o.name ?? 'agent', role: o.role, goal: o.goal, input: o.input, ...(o.model ? { model: o.model } : {}), ...(o.tool ? { tools: o.tool } : {}), ...(o.priority ? { priority: o.priority } : {}), ...(o.maxSteps ? { constraints: { maxSteps: o.maxSteps } } : {}) };
      const a = await unwrap(c.api.POST('/agents', { body: body as never, ...(o.idempotencyKey ? { headers: { 'idempotency-key': o.idempotencyKey } } : {}) }), 'spawn the agent');
      if (o.wait) await waitFor(c, a.id);
      const final = o.wait ? await unwrap(c.api.GET('/agents/{id}', idPath(a.id)), `read agent ${a.id}`) : a;
      show(c, final, (v) => (o.wait ? `${v.id}\t${v.status}\t${orDash(v.result)}` : v.id));
    });

  program
    .command('ps')
    .description('list agents, newest first')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 50)
    .action(async (o: { limit: number }) => {
      const c = ctx();
      const list = await unwrap(c.api.GET('/agents', { params: { query: { limit: o.limit, offset: 0 } } }), 'list agents');
      show(c, list, (v) =>
        table(v.agents, [
          { title: 'id', cell: (a) => a.id },
          { title: 'name', cell: (a) => a.name },
          { title: 'tenant', cell: (a) => a.tenant },
          { title: 'state', cell: (a) => a.status },
          { title: 'hold', cell: (a) => orDash(a.hold) },
          { title: 'step', cell: (a) => String(a.step), right: true },
          { title: 'tokens', cell: (a) => count(a.usage.totalTokens), right: true },
          { title: 'cost', cell: (a) => usd(a.usage.costUsd), right: true },
          { title: 'node', cell: (a) => orDash(a.node) },
        ]),
      );
    });

  program
    .command('describe <id>')
    .description('one agent: state, hold and why, step, budget, usage, pending approval, result, links')
    .action(async (id: string) => {
      const c = ctx();
      const a = await unwrap(c.api.GET('/agents/{id}', idPath(id)), `read agent ${id}`);
      show(c, a, (v) =>
        [
          ['id', v.id],
          ['name', v.name],
          ['role', v.role],
          ['goal', v.goal],
          ['tenant', v.tenant],
          ['model', v.model],
          ['state', `${v.status}${v.live ? '' : ' (stored)'}`],
          ['hold', v.hold ? `${v.hold}${v.holdDetail ? `: ${v.holdDetail}` : ''}` : '-'],
          ['step', String(v.step)],
          ['node', orDash(v.node)],
          ['priority', String(v.priority)],
          ['budget', v.budget ? `${orDash(v.budget.maxTotalTokens)} tokens, ${v.budget.maxCostUsd === null ? '-' : usd(v.budget.maxCostUsd)}` : '-'],
          ['usage', `${count(v.usage.promptTokens)} in, ${count(v.usage.completionTokens)} out, ${usd(v.usage.costUsd)}`],
          ['approval', v.pendingApproval ? `${v.pendingApproval.tool} (call ${v.pendingApproval.callId}, step ${v.pendingApproval.step}): aos approve ${v.id} ${v.pendingApproval.callId}` : '-'],
          ['result', orDash(v.result)],
          ['error', orDash(v.error)],
          ['workflow', orDash(v.workflow?.url)],
        ]
          .map(([k, val]) => `${`${k}:`.padEnd(10)} ${val}`)
          .join('\n'),
      );
    });

  program
    .command('logs <id>')
    .description('the agent’s events: steps, tool calls and live tokens (-f follows until it finishes)')
    .option('-f, --follow', 'follow until the agent finishes')
    .action(async (id: string, o: { follow?: boolean }) => {
      const c = ctx();
      let midLine = false;
      for await (const e of readEvents(c.settings, `/agents/${encodeURIComponent(id)}/events`, o.follow ? {} : { idleMs: 400 })) {
        if (c.json) {
          c.out(JSON.stringify(e));
          continue;
        }
        if (e.event === 'token') {
          process.stdout.write(String(e.data.text ?? ''));
          midLine = true;
          continue;
        }
        if (midLine) process.stdout.write('\n');
        midLine = false;
        const d = e.data;
        const line =
          e.event === 'step.started' ? `step ${d.step} started (${d.model})`
          : e.event === 'step.completed' ? `step ${d.step} completed: ${d.stopReason}${Array.isArray(d.toolCalls) && d.toolCalls.length ? ` → ${d.toolCalls.join(', ')}` : ''}`
          : e.event === 'tool.completed' ? `tool ${d.tool} ${d.status} (call ${d.callId})`
          : e.event === 'agent.finished' ? `finished: ${d.status} (${d.exitReason ?? '-'})`
          : `${e.event} ${JSON.stringify(d)}`;
        c.out(line);
      }
      if (midLine) process.stdout.write('\n');
    });

  for (const [verb, approved] of [['approve', true], ['reject', false]] as const) {
    program
      .command(`${verb} <id> <call>`)
      .description(`${verb} the agent’s pending tool call (by its call id)`)
      .option('--reason <text>', 'why, for the audit log and the agent')
      .action(async (id: string, callId: string, o: { reason?: string }) => {
        const c = ctx();
        const r = await unwrap(c.api.POST('/agents/{id}/approvals', { ...idPath(id), body: { callId, approved, ...(o.reason ? { reason: o.reason } : {}) } }), `${verb} call ${callId}`);
        show(c, r, (v) => `${v.approved ? 'approved' : 'rejected'} ${v.callId}`);
      });
  }

  for (const verb of ['pause', 'resume', 'kill'] as const) {
    program
      .command(`${verb} <id>`)
      .description(`${verb} the agent`)
      .option('--reason <text>', 'why, for the audit log')
      .action(async (id: string, o: { reason?: string }) => {
        const c = ctx();
        const body = o.reason ? { reason: o.reason } : {};
        const call = verb === 'pause' ? c.api.POST('/agents/{id}/pause', { ...idPath(id), body }) : verb === 'resume' ? c.api.POST('/agents/{id}/resume', { ...idPath(id), body }) : c.api.POST('/agents/{id}/kill', { ...idPath(id), body });
        const r = await unwrap<unknown>(call, `${verb} agent ${id}`);
        show(c, r, () => `${verb}: ${id}`);
      });
  }

  program
    .command('message <id> <text>')
    .description('send the agent a message (it reads it at its next step)')
    .action(async (id: string, text: string) => {
      const c = ctx();
      const r = await unwrap<unknown>(c.api.POST('/agents/{id}/messages', { ...idPath(id), body: { text } }), `message agent ${id}`);
      show(c, r, () => `sent to ${id}`);
    });

  program
    .command('fork <id>')
    .description('a new agent sharing this one’s pages up to a step')
    .option('--step <n>', 'the step to fork at (default: its latest)', (v) => Number.parseInt(v, 10))
    .option('--name <name>', 'the fork’s name')
    .action(async (id: string, o: { step?: number; name?: string }) => {
      const c = ctx();
      const f = await unwrap(c.api.POST('/agents/{id}/fork', { ...idPath(id), body: { ...(o.step !== undefined ? { step: o.step } : {}), ...(o.name ? { name: o.name } : {}) } }), `fork agent ${id}`);
      show(c, f, (v) => v.id);
    });

  program
    .command('checkpoints <id>')
    .description('the agent’s checkpoints, one per step boundary')
    .action(async (id: string) => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/agents/{id}/checkpoints', idPath(id)), `list checkpoints of ${id}`);
      show(c, r, (v) =>
        table(v.checkpoints, [
          { title: 'id', cell: (k) => k.id },
          { title: 'step', cell: (k) => String(k.step), right: true },
          { title: 'branch', cell: (k) => String(k.branch), right: true },
          { title: 'created', cell: (k) => k.createdAt },
          { title: 'tags', cell: (k) => k.tags.join(',') },
        ]),
      );
    });

  program
    .command('rewind <id> <checkpoint>')
    .description('reset the agent to a checkpoint (a Temporal workflow reset)')
    .action(async (id: string, checkpointId: string) => {
      const c = ctx();
      const r = await unwrap<unknown>(c.api.POST('/agents/{id}/rewind', { ...idPath(id), body: { checkpointId } }), `rewind agent ${id}`);
      show(c, r, () => `rewound ${id} to ${checkpointId}`);
    });

  program
    .command('migrate <id> <node>')
    .description('move the agent to a node at its next step boundary')
    .action(async (id: string, node: string) => {
      const c = ctx();
      const r = await unwrap(c.api.POST('/agents/{id}/migrate', { ...idPath(id), body: { node } }), `migrate agent ${id}`);
      show(c, r, (v) => `moving ${v.agentId}: ${orDash(v.from)} → ${v.to}`);
    });
}
