import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { ProviderError } from '../../kernel/llm/errors';
import { countChatTokens } from '../../kernel/llm/tokens';
import { anthropicReply, openAiReply, startFakeLlm } from '../../test/support/fake-llm';
import { AnthropicModel } from './anthropic';
import { OpenAiCompatibleModel } from './openai';
import { createProviderRegistry } from './registry';
import { ScriptedModel } from './scripted';

const fake = startFakeLlm();
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
});

const messages = [
  { role: 'system' as const, content: 'You are a tester.\nGoal: check the wire format' },
  { role: 'user' as const, content: 'Say hello.' },
];

describe('OpenAI-compatible provider over real HTTP', () => {
  const model = new OpenAiCompatibleModel('fake-model', `${fake.url}/v1`, 'sk-test');

  test('reads cached prompt tokens and reasoning tokens from the usage details, streamed or not', async () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 200, prompt_tokens_details: { cached_tokens: 600 }, completion_tokens_details: { reasoning_tokens: 50 } };
    fake.enqueue(openAiReply('plain', 'stop', usage), openAiReply('streamed', 'stop', usage));
    const plain = await model.complete({ messages, maxTokens: 64 });
    const streamed = await model.complete({ messages, maxTokens: 64, onToken: () => undefined });
    for (const r of [plain, streamed]) expect(r.usage).toEqual({ promptTokens: 1000, completionTokens: 200, cacheReadTokens: 600, reasoningTokens: 50 });
    expect(fake.requests[1]!.body).toMatchObject({ stream: true });
  });

  test('sends the chat-completions request and reads text, stop reason and provider usage', async () => {
    fake.enqueue(openAiReply('hello there'));
    const r = await model.complete({ messages, maxTokens: 64 });
    expect(r).toEqual({ text: 'hello there', toolCalls: [], stopReason: 'end_turn', usage: { promptTokens: 11, completionTokens: 7 }, usageSource: 'provider' });
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toEqual({ model: 'fake-model', messages, max_tokens: 64 });
  });

  test('counts tokens with the tokenizer when the server reports no usage (e.g. some llama.cpp builds)', async () => {
    fake.enqueue(openAiReply('cut', 'length', null));
    const r = await model.complete({ messages, maxTokens: 1 });
    expect(r.stopReason).toBe('max_tokens');
    expect(r.usageSource).toBe('tokenizer');
    expect(r.usage.promptTokens).toBe(countChatTokens(messages));
    expect(r.usage.completionTokens).toBe(1);
  });

  test('429 and 500 are retryable errors, 401 and 400 are not; Retry-After is honoured', async () => {
    const cases: Array<[number, boolean]> = [[429, true], [500, true], [401, false], [400, false]];
    for (const [status, retryable] of cases) {
      fake.enqueue({ status, body: { error: { message: `status ${status}` } }, headers: status === 429 ? { 'retry-after': '2' } : {} });
      const err = await model.complete({ messages, maxTokens: 8 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).status).toBe(status);
      expect((err as ProviderError).retryable).toBe(retryable);
      if (status === 429) expect((err as ProviderError).retryAfterMs).toBe(2000);
    }
  });

  test('an unreachable server is a retryable 503', async () => {
    const dead = new OpenAiCompatibleModel('m', 'http://127.0.0.1:9/v1', undefined);
    const err = (await dead.complete({ messages, maxTokens: 8 }).catch((e: unknown) => e)) as ProviderError;
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
  });

  test('a malformed body is a 502, not a crash', async () => {
    fake.enqueue({ body: { choices: [] } });
    const err = (await model.complete({ messages, maxTokens: 8 }).catch((e: unknown) => e)) as ProviderError;
    expect(err.status).toBe(502);
  });
});

describe('Anthropic provider over real HTTP', () => {
  test('sends system apart from messages, with the API key and version headers', async () => {
    fake.enqueue(anthropicReply('bonjour'));
    const model = new AnthropicModel('claude-fake', fake.url, 'ak-test');
    const r = await model.complete({ messages, maxTokens: 32 });
    expect(r).toEqual({ text: 'bonjour', toolCalls: [], stopReason: 'end_turn', usage: { promptTokens: 21, completionTokens: 9 }, usageSource: 'provider' });
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('ak-test');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toEqual({ model: 'claude-fake', max_tokens: 32, system: messages[0]!.content, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }] });
  });

  test('cache reads and writes are part of the prompt count (Anthropic reports them apart from input_tokens)', async () => {
    const reply = anthropicReply('cached');
    (reply.body as { usage: Record<string, number> }).usage = { input_tokens: 50, output_tokens: 9, cache_read_input_tokens: 900, cache_creation_input_tokens: 100 };
    fake.enqueue(reply);
    const r = await new AnthropicModel('claude-fake', fake.url, 'ak-test').complete({ messages, maxTokens: 32 });
    expect(r.usage).toEqual({ promptTokens: 1050, completionTokens: 9, cacheReadTokens: 900, cacheWriteTokens: 100 });
  });

  test('without a key it fails as a non-retryable 401 before any request', async () => {
    const err = (await new AnthropicModel('m', fake.url, undefined).complete({ messages, maxTokens: 8 }).catch((e: unknown) => e)) as ProviderError;
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('scripted model', () => {
  test('takes the scripted number of turns, deterministically, and counts tokens with a real tokenizer', async () => {
    const model = new ScriptedModel(2);
    const first = await model.complete({ messages, maxTokens: 128 });
    expect(first.stopReason).toBe('continue');
    expect(first.text).toContain('check the wire format');
    expect(await model.complete({ messages, maxTokens: 128 })).toEqual(first);
    const second = await model.complete({ messages: [...messages, { role: 'assistant', content: first.text }], maxTokens: 128 });
    expect(second.stopReason).toBe('end_turn');
    expect(second.text).toStartWith('Final answer (step 2/2)');
    expect(second.usage.promptTokens).toBe(countChatTokens([...messages, { role: 'assistant', content: first.text }]));
  });

  test('reads what it is sent: it quotes the latest user message, and its answers change with the conversation', async () => {
    const model = new ScriptedModel(3);
    const base = [{ role: 'system' as const, content: 'Goal: test' }, { role: 'user' as const, content: 'first question' }];
    const a = await model.complete({ messages: base, maxTokens: 64, step: 1 });
    const b = await model.complete({ messages: [...base, { role: 'user', content: 'please mention penguins' }], maxTokens: 64, step: 1 });
    expect(a.text).toContain('"first question"');
    expect(b.text).toContain('"please mention penguins"');
    expect(a.text).not.toBe(b.text);
  });

  test('refuses a prompt without its input, or without the result of the call it made in the step before', async () => {
    const model = new ScriptedModel(3);
    const onlySystem = await model.complete({ messages: [{ role: 'system', content: 'Goal: x' }], maxTokens: 64, step: 3 }).catch((e: unknown) => e);
    expect(onlySystem).toBeInstanceOf(ProviderError);
    expect((onlySystem as ProviderError).retryable).toBe(false);
    expect((onlySystem as Error).message).toContain('input is missing');
    const script = { role: 'user' as const, content: 'CALL calculator {"expression":"6*7"}' };
    const call = await model.complete({ messages: [script], maxTokens: 64, step: 1 });
    expect(call.toolCalls.map((c) => c.id)).toEqual(['call_1_1']);
    const withoutResult = await model.complete({ messages: [script, { role: 'assistant', content: call.text, toolCalls: call.toolCalls }], maxTokens: 64, step: 2 }).catch((e: unknown) => e);
    expect((withoutResult as Error).message).toContain('the result of call_1_1 (asked at step 1) is not in the prompt');
    const withResult = await model.complete({ messages: [script, { role: 'assistant', content: call.text, toolCalls: call.toolCalls }, { role: 'tool', content: '42', toolCallId: 'call_1_1', toolName: 'calculator' }], maxTokens: 64, step: 2 });
    expect(withResult.text).toContain('working on');
  });

  test('keeps to its completion cap, as a provider does with max_tokens', async () => {
    const model = new ScriptedModel(1);
    const full = await model.complete({ messages: [{ role: 'user', content: 'hello there' }], maxTokens: 512, step: 1 });
    const cut = await model.complete({ messages: [{ role: 'user', content: 'hello there' }], maxTokens: 5, step: 1 });
    expect(full.stopReason).toBe('end_turn');
    expect(cut.usage.completionTokens).toBe(5);
    expect(cut.stopReason).toBe('max_tokens');
    expect(full.text.startsWith(cut.text)).toBe(true);
  });
});

describe('provider registry', () => {
  const registry = createProviderRegistry({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: undefined, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: undefined });
  test('builds one provider per spec and rejects unknown providers with a sentence', () => {
    expect(registry('scripted:5').name).toBe('scripted');
    expect(registry('openai:gpt-4o-mini').name).toBe('openai');
    expect(registry('anthropic:claude-x').name).toBe('anthropic');
    expect(registry('openai:gpt-4o-mini')).toBe(registry('openai:gpt-4o-mini'));
    expect(() => registry('mystery:model')).toThrow('unknown model provider "mystery"');
  });
});

describe('OpenAI streaming and tool calls over real HTTP', () => {
  const model = new OpenAiCompatibleModel('fake-model', `${fake.url}/v1`, undefined);
  const toolReply = {
    body: {
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } }] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 30, completion_tokens: 12 },
    },
  };

  test('streams text token by token and reads usage from the final chunk', async () => {
    fake.enqueue(openAiReply('one two three'));
    const tokens: string[] = [];
    const r = await model.complete({ messages, maxTokens: 16, onToken: (t) => tokens.push(t) });
    expect(tokens).toEqual(['one ', 'two ', 'three']);
    expect(r).toMatchObject({ text: 'one two three', stopReason: 'end_turn', usage: { promptTokens: 11, completionTokens: 7 }, usageSource: 'provider' });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('assembles streamed tool-call fragments and sends tools in the request', async () => {
    fake.enqueue(toolReply);
    const tools = [{ name: 'calculator', description: 'math', parameters: { type: 'object', properties: { expression: { type: 'string' } } } }];
    const r = await model.complete({ messages, maxTokens: 16, tools, onToken: () => {} });
    expect(r.stopReason).toBe('tool_use');
    expect(r.toolCalls).toEqual([{ id: 'call_abc', name: 'calculator', arguments: { expression: '6*7' } }]);
    expect((fake.requests[0]!.body as { tools: unknown[] }).tools).toEqual([{ type: 'function', function: tools[0] }]);
  });

  test('an MCP tool (server.tool) goes out as server__tool, which providers accept, and comes back by its kernel name', async () => {
    fake.enqueue({ body: { choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_fs', type: 'function', function: { name: 'files__write_file', arguments: '{"path":"a"}' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 30, completion_tokens: 12 } } });
    const tools = [{ name: 'files.write_file', description: 'write', parameters: { type: 'object' } }];
    const r = await new OpenAiCompatibleModel('gpt-fake', `${fake.url}/v1`, 'sk-test').complete({ messages, maxTokens: 16, tools });
    expect(r.toolCalls).toEqual([{ id: 'call_fs', name: 'files.write_file', arguments: { path: 'a' } }]);
    const sent = fake.requests[0]!.body as { tools: Array<{ function: { name: string } }> };
    expect(sent.tools.map((t) => t.function.name)).toEqual(['files__write_file']);
    for (const t of sent.tools) expect(t.function.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  test('tool results go back in the wire format (assistant tool_calls, then role tool)', async () => {
    fake.enqueue(openAiReply('42'));
    await model.complete({
      messages: [...messages, { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'calculator', arguments: { expression: '6*7' } }] }, { role: 'tool', content: '42', toolCallId: 'call_abc', toolName: 'calculator' }],
      maxTokens: 16,
    });
    const sent = (fake.requests[0]!.body as { messages: unknown[] }).messages;
    expect(sent.slice(2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '42' },
    ]);
  });

  test('Anthropic tool_use blocks become tool calls; tool results return as user blocks', async () => {
    fake.enqueue({ body: { content: [{ type: 'text', text: 'let me compute' }, { type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '1+1' } }], stop_reason: 'tool_use', usage: { input_tokens: 5, output_tokens: 6 } } });
    const anthropic = new AnthropicModel('claude-fake', fake.url, 'k');
    const r = await anthropic.complete({ messages: [...messages, { role: 'assistant', content: 'x', toolCalls: [{ id: 'toolu_0', name: 'calculator', arguments: {} }] }, { role: 'tool', content: '0', toolCallId: 'toolu_0', toolName: 'calculator' }], maxTokens: 8 });
    expect(r).toMatchObject({ text: 'let me compute', stopReason: 'tool_use', toolCalls: [{ id: 'toolu_1', name: 'calculator', arguments: { expression: '1+1' } }] });
    const sent = (fake.requests[0]!.body as { messages: Array<{ role: string; content: unknown[] }> }).messages;
    expect(sent.at(-1)).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: '0' }] });
    expect(sent.at(-2)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'x' }, { type: 'tool_use', id: 'toolu_0', name: 'calculator', input: {} }] });
  });
});
