import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { CONFIG_KEYS, isSecretKey, LIVE_KEYS } from '../kernel/config';
import { KernelError } from '../kernel/errors';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

const configSchema = z.object({
  profile: z.string(),
  file: z.string().nullable().describe('the config file read (AOK_CONFIG_FILE, else aok.config.* in the working directory)'),
  version: z.number().int().nullable().describe('the cluster’s live config version this process applied'),
  appliedAt: z.string().nullable(),
  lastError: z.string().nullable().describe('why the last read of the file was refused (the last good config stays)'),
  restartRequired: z.array(z.string()).describe('settings changed in the file that only a restart applies'),
  settings: z.array(z.object({ key: z.string(), value: z.unknown().describe('secrets show as "(set)"'), source: z.enum(['default', 'file', 'profile', 'env', 'cluster']), live: z.boolean().describe('changes without a restart') })),
});

const route = createRoute({
  method: 'get',
  path: '/config',
  summary: 'The effective configuration of this API process: every setting, where it came from, whether it changes live (secrets redacted)',
  responses: { 200: { description: 'Config', content: { 'application/json': { schema: configSchema } } } },
});

/** GET /config (admin). */
export function configRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(route, (c) => {
    if (!deps.config) throw new KernelError('unavailable', 'this process has no config view');
    const { effective, live } = deps.config;
    const status = live.status();
    const sources = live.sources();
    const settings = CONFIG_KEYS.map((key) => {
      const value = effective[key];
      return { key, value: isSecretKey(key) ? (value === undefined ? null : '(set)') : (value ?? null), source: sources[key], live: LIVE_KEYS.includes(key) };
    });
    return c.json({ profile: status.profile, file: status.file, version: status.version, appliedAt: status.appliedAt, lastError: status.lastError, restartRequired: status.restartRequired, settings }, 200);
  });
}
