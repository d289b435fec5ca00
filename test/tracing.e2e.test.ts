import { setDefaultTimeout, afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { startJaeger, type Jaeger } from '../infra/telemetry/jaeger';
import { agentClient } from './support/agent-client';
import { rootFetch } from './support/keys';
import { startTestStack } from './support/stack';
import { waitFor } from './support/wait';

// These suites start real servers; bun's 5 s default is too short for their hooks.
setDefaultTimeout(120_000);

/** A span as Jaeger's query API returns it. */
interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

let jaeger: Jaeger;
const logLines: string[] = [];
let stack: Awaited<ReturnType<typeof startTestStack>>;
const service = `aok-test-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  jaeger = await startJaeger();
  stack = await startTestStack({ database: 'postgres', env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_SERVICE_NAME: service }, logLevel: 'debug', logSink: (line) => logLines.push(line) });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await jaeger?.stop();
}, 15_000);

/** The spans of one trace, once Jaeger holds at least `atLeast` of them with every name in `names`. */
async function traceSpans(traceId: string, names: string[]): Promise<JaegerSpan[]> {
  return waitFor(
    async () => {
      await stack.tracing?.flush();
      const res = await fetch(`${jaeger.uiUrl}/api/traces/${traceId}`);
      if (!res.ok) return [];
      const body = (await res.json()) as { data: Array<{ spans: JaegerSpan[] }> };
      const spans = body.data.flatMap((t) => t.spans);
      if (process.env.DEBUG_TRACE) console.log(spans.map((s) => s.operationName).sort().join(" | "));
      return spans;
    },
    (spans) => names.every((n) => spans.some((s) => s.operationName === n)),
    20_000,
    `spans ${names.join(', ')} in Jaeger`,
  );
}

describe('tracing (a real Jaeger, OTLP/HTTP)', () => {
  test('one trace runs from the HTTP request through the workflow and its activities to the model call and the tool, with GenAI attributes and no bodies', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const input = 'CALL calculator {"expression":"6*7"}';
    const res = await rootFetch(`${stack.apiUrl}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ name: 'traced', role: 'a tester', goal: 'compute', input, model: 'scripted:2', tools: ['calculator'] }),
    });
    expect(res.status).toBe(201);
    // The response names the request's span in the caller's trace.
    expect(res.headers.get('traceparent')).toStartWith(`00-${traceId}-`);
    const { id } = (await res.json()) as { id: string };
    const agents = agentClient(stack);
    await waitFor(() => agents.get(id), (a) => a.status === 'completed', 30_000, 'the agent to complete');

    const spans = await traceSpans(traceId, ['POST /agents', 'invoke_agent traced', 'StartWorkflow:agentWorkflow', 'RunWorkflow:agentWorkflow', 'StartActivity:llmStep', 'RunActivity:llmStep', 'chat scripted', 'RunActivity:runTool', 'execute_tool calculator']);
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const parentOf = (s: JaegerSpan) => byId.get(s.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '');
    const ancestry = (s: JaegerSpan) => {
      const names: string[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) names.push(p.operationName);
      return names;
    };

    // The request continues the caller's trace; every kernel span descends from it.
    const http = spans.find((s) => s.operationName === 'POST /agents')!;
    expect(http.references[0]?.spanID).toBe(callerSpan);
    const chats = spans.filter((s) => s.operationName === 'chat scripted');
    expect(chats.length).toBe(2);
    for (const chat of chats) {
      expect(parentOf(chat)?.operationName).toBe('RunActivity:llmStep');
      expect(ancestry(chat)).toEqual(expect.arrayContaining(['StartActivity:llmStep', 'RunWorkflow:agentWorkflow', 'StartWorkflow:agentWorkflow', 'invoke_agent traced', 'POST /agents']));
      expect(tag(chat, 'gen_ai.operation.name')).toBe('chat');
      expect(tag(chat, 'gen_ai.provider.name')).toBe('scripted');
      expect(tag(chat, 'gen_ai.request.model')).toBe('scripted');
      expect(Number(tag(chat, 'gen_ai.usage.input_tokens'))).toBeGreaterThan(0);
      expect(Number(tag(chat, 'gen_ai.usage.output_tokens'))).toBeGreaterThan(0);
      expect(Number(tag(chat, 'aok.cost.usd'))).toBeGreaterThan(0);
      expect(tag(chat, 'gen_ai.agent.id')).toBe(id);
    }
    const finish = chats.map((c) => String(tag(c, 'gen_ai.response.finish_reasons'))).sort();
    expect(finish.join(' ')).toContain('tool_use');
    const tool = spans.find((s) => s.operationName === 'execute_tool calculator')!;
    expect(parentOf(tool)?.operationName).toBe('RunActivity:runTool');
    expect(tag(tool, 'gen_ai.tool.name')).toBe('calculator');
    expect(tag(tool, 'aok.tool.status')).toBe('succeeded');
    expect(ancestry(tool)).toContain('RunWorkflow:agentWorkflow');

    // Bodies stay out of spans unless AOK_TRACE_CONTENT is on: neither the input nor the tool's result.
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain('6*7');
    expect(everything).not.toContain('gen_ai.input.messages');
    expect(stack.tracing!.counts.dropped).toEqual({ queue_full: 0, export_failed: 0 });
    // The request's log line carries the ids that find its span.
    const logged = logLines.map((l) => JSON.parse(l) as { msg?: string; route?: string; trace_id?: string; span_id?: string }).find((l) => l.msg === 'request' && l.route === '/agents' && l.trace_id === traceId);
    expect(logged?.span_id).toBe(http.spanID);
  }, 60_000);

  test('a signal sent later joins the trace of its own request', async () => {
    const agents = agentClient(stack);
    const agent = await agents.spawn({ name: 'listener', model: 'scripted:30:200' });
    const traceId = randomBytes(16).toString('hex');
    const res = await rootFetch(`${stack.apiUrl}/agents/${agent.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ text: 'one more thing' }),
    });
    expect(res.status).toBe(202);
    // The request, the client's signal and the workflow handling it: one trace, not the spawn's.
    const names = await waitFor(async () => (await traceSpans(traceId, ['POST /agents/:id/messages'])).map((s) => s.operationName), (n) => n.some((x) => x.startsWith('HandleSignal:')), 20_000, 'the workflow to handle the signal');
    expect(names.some((n) => n.startsWith('SignalWorkflow:'))).toBe(true);
    await agents.post(`/agents/${agent.id}/kill`, {});
  }, 60_000);
});
