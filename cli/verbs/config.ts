import type { Command } from 'commander';
import { unwrap } from '../client';
import { table } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

/** `aos config`: the API process's effective configuration, where each setting came from, what changes live. */
export function configVerbs(program: Command, ctx: Ctx): void {
  program
    .command('config')
    .description('the effective configuration (admin): each setting, its source (default, file, profile, env, cluster) and whether it changes live; secrets redacted')
    .option('--changed', 'only settings that are not defaults')
    .action(async (o: { changed?: boolean }) => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/config', {}), 'read the config');
      const rows = r.settings.filter((s) => !o.changed || s.source !== 'default');
      const head = `profile ${r.profile} · file ${r.file ?? 'none'} · live version ${r.version ?? 'none'}${r.lastError ? `\nthe last file read was refused: ${r.lastError}` : ''}${r.restartRequired.length ? `\nrestart to apply: ${r.restartRequired.join(', ')}` : ''}`;
      show(c, r, () =>
        [
          head,
          table(rows, [
            { title: 'key', cell: (s) => s.key },
            { title: 'value', cell: (s) => (typeof s.value === 'string' ? s.value : JSON.stringify(s.value ?? null)).slice(0, 60) },
            { title: 'source', cell: (s) => s.source },
            { title: 'live', cell: (s) => (s.live ? 'yes' : '') },
          ]),
        ].join('\n'),
      );
    });
}
