import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { OPERATION_IDS } from '../api/operation-ids';
import { useStack } from './support/suite';

// This suite starts real servers (and a browser); bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'pglite', worker: false });

type Doc = { servers?: Array<{ url: string }>; paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown>; 'x-aok-scope'?: string }>> };
const documentOf = async () => (await (await fetch(`${suite.stack.apiUrl}/openapi.json`)).json()) as Doc;

describe('the OpenAPI document and its reference page', () => {
  test('lints clean under Redocly’s recommended rules: no error and no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aok-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(await documentOf()));
      const lint = Bun.spawn(['bunx', 'redocly', 'lint', file, '--format=summary'], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
      const [out, err] = await Promise.all([new Response(lint.stdout).text(), new Response(lint.stderr).text()]);
      const report = `${out}\n${err}`;
      expect({ code: await lint.exited, warnings: report.split('\n').filter((l) => /^(warning|error)\s/.test(l.trim())) }).toEqual({ code: 0, warnings: [] });
      expect(report).toContain('Your API description is valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every operation has its unique operationId and scope; the server is this origin', async () => {
    const doc = await documentOf();
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect({ route: `${method.toUpperCase()} ${path}`, id: op.operationId }).toEqual({ route: `${method.toUpperCase()} ${path}`, id: OPERATION_IDS[`${method.toUpperCase()} ${path}`] });
        expect(op['x-aok-scope']).toBeDefined();
        ids.push(op.operationId!);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(OPERATION_IDS).length).toBe(ids.length);
    // The event streams, health and metrics are in it too.
    for (const path of ['/agents/{id}/events', '/crews/{id}/events', '/health', '/metrics', '/docs']) expect(doc.paths[path]).toBeDefined();
    expect(doc.servers?.[0]?.url).toBe(suite.stack.apiUrl);
  });

  test('the aos CLI’s generated types match this document (else: bun run gen:client)', async () => {
    const doc = await documentOf();
    const types = await Bun.file(new URL('../cli/api-types.ts', import.meta.url).pathname).text();
    const block = (name: string) => types.slice(types.indexOf(`export interface ${name} {`), types.indexOf('\n}\n', types.indexOf(`export interface ${name} {`)));
    const keysOf = (name: string, re: RegExp) => [...block(name).matchAll(re)].map((m) => m[1]!).sort();
    expect(keysOf('paths', /^ {4}"([^"]+)": \{/gm)).toEqual(Object.keys(doc.paths).sort());
    expect(keysOf('operations', /^ {4}([A-Za-z]+): \{/gm)).toEqual(Object.values(OPERATION_IDS).sort());
  });

  test('/docs serves the reference from this origin (no CDN) and a real browser renders every operation', async () => {
    const page = await fetch(`${suite.stack.apiUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${suite.stack.apiUrl}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    const missing = await fetch(`${suite.stack.apiUrl}/docs/assets/..%2Fpackage.json`);
    expect(missing.status).toBe(404);

    const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, pipe: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const tab = await browser.newPage();
      const offOrigin: string[] = [];
      tab.on('request', (r) => {
        if (!r.url().startsWith(suite.stack.apiUrl!) && !r.url().startsWith('data:')) offOrigin.push(r.url());
      });
      await tab.goto(`${suite.stack.apiUrl}/docs`, { waitUntil: 'networkidle0' });
      await tab.waitForSelector('.opblock', { timeout: 20_000 });
      const text = String(await tab.evaluate('document.body.innerText'));
      for (const id of ['spawnAgent', 'getTenantUsage', 'streamAgentEvents', 'getMetrics']) expect(text).toContain(id);
      expect(offOrigin).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
