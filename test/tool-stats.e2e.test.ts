import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';

// A real stack: bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
type Stats = { tools: Array<{ tool: string; calls: number; succeeded: number; failed: number; refused: number; errorRate: number | null; p50Ms: number | null; p95Ms: number | null }> };
const get = async <T>(path: string, key?: string) => (await (key ? fetch(`${suite.stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } }) : rootFetch(`${suite.stack.apiUrl}${path}`))).json() as Promise<T>;

describe('tool statistics and suggestions, from the tool-call records', () => {
  test('calls, outcomes, error rate and latency per tool; by agent, window and tenant; tools ranked for a task', async () => {
    const run = (goal: string, tool: string, args: string) => suite.agents.spawn({ name: 'stats', role: 'an analyst', goal, model: 'scripted:2', tools: [tool], input: `CALL ${tool} ${args}` });
    const sales = 'summarise the quarterly sales report';
    const spawned = await Promise.all([
      run(sales, 'calculator', '{"expression":"1200*4"}'),
      run(sales, 'calculator', '{"expression":"(3+4)*5"}'),
      run(sales, 'calculator', '{"expression":"10/4"}'),
      run(sales, 'calculator', '{"expression":"2+"}'), // fails: not an expression
      run(sales, 'calculator', '{"expression":"1/0"}'), // fails: division by zero
      run('translate the poem into French', 'current_time', '{}'),
      run('translate the poem into French', 'calculator', '{"nope":1}'), // refused: invalid arguments
    ]);
    for (const a of spawned) await suite.agents.settle(a.id);

    const all = await get<Stats>('/tools/stats');
    const calc = all.tools.find((t) => t.tool === 'calculator')!;
    expect(calc).toMatchObject({ calls: 6, succeeded: 3, failed: 2, refused: 1, errorRate: 0.4 });
    expect(calc.p50Ms).toBeNumber();
    expect(calc.p95Ms!).toBeGreaterThanOrEqual(calc.p50Ms!);
    expect(all.tools.find((t) => t.tool === 'current_time')).toMatchObject({ calls: 1, succeeded: 1, errorRate: 0 });
    expect(all.tools[0]!.tool).toBe('calculator'); // busiest first

    // One agent; a window in the future; another tenant: each sees only its own.
    expect((await get<Stats>(`/tools/stats?agent=${spawned[3]!.id}`)).tools).toMatchObject([{ tool: 'calculator', calls: 1, failed: 1 }]);
    expect((await get<Stats>(`/tools/stats?from=${new Date(Date.now() + 60_000).toISOString()}`)).tools).toEqual([]);
    const other = ((await (await suite.agents.post('/keys', { name: 'stats-other', tenant: 'globex', scopes: ['viewer'] })).json()) as { key: string }).key;
    expect((await get<Stats>('/tools/stats', other)).tools).toEqual([]);
    expect(((await fetch(`${suite.stack.apiUrl}/tools/stats?agent=${spawned[0]!.id}`, { headers: { authorization: `Bearer ${other}` } })).status)).toBe(404);
    expect((await rootFetch(`${suite.stack.apiUrl}/tools/stats?from=2026-02-01&to=2026-01-01`)).status).toBe(400);

    // For a sales task the calculator ranks first; for a poem, the tool that worked on poems.
    const forSales = await get<{ tools: Array<{ tool: string; calls: number; successRate: number }> }>(`/tools/suggest?task=${encodeURIComponent('quarterly sales numbers')}`);
    expect(forSales.tools[0]).toMatchObject({ tool: 'calculator', calls: 5 });
    const forPoem = await get<{ tools: Array<{ tool: string }> }>(`/tools/suggest?task=${encodeURIComponent('a poem in French')}`);
    expect(forPoem.tools.map((t) => t.tool)).toEqual(['current_time']);
    expect((await get<{ tools: unknown[] }>(`/tools/suggest?task=${encodeURIComponent('the of and')}`)).tools).toEqual([]);
  });
});
