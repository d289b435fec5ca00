import type { Command } from 'commander';
import { unwrap } from '../client';
import { table } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

/** `aos entities`: what an agent (or, with no id, the tenant) knows about people and things. */
export function memoryVerbs(program: Command, ctx: Ctx): void {
  program
    .command('entities [id]')
    .description('facts about people and things read from an agent’s messages (no id: the whole tenant)')
    .option('--entity <name>', 'one entity')
    .option('--history', 'every version, with when each stopped being true')
    .action(async (id: string | undefined, o: { entity?: string; history?: boolean }) => {
      const c = ctx();
      const query = { ...(o.entity ? { entity: o.entity } : {}), history: o.history ? ('true' as const) : ('false' as const) };
      const r = id
        ? await unwrap(c.api.GET('/agents/{id}/entities', { params: { path: { id }, query } }), `read the entities of ${id}`)
        : await unwrap(c.api.GET('/entities', { params: { query } }), 'read the entities');
      const rows = r.entities.flatMap((e) => e.facts.map((f) => ({ entity: e.entity, ...f })));
      show(c, r, () =>
        table(rows, [
          { title: 'entity', cell: (f) => f.entity },
          { title: 'attribute', cell: (f) => f.attribute },
          { title: 'value', cell: (f) => f.value },
          { title: 'v', cell: (f) => String(f.version), right: true },
          { title: 'since', cell: (f) => f.validFrom },
          { title: 'until', cell: (f) => f.validUntil ?? 'now' },
        ]),
      );
    });
}
