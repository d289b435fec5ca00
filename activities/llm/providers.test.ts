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

  test('sends the chat-completions request and reads text, stop reason and provider usage', async () => {
    fake.enqueue(openAiReply('hello there'));
    const r = await model.complete({ messages, maxTokens: 64 });
    expect(r).toEqual({ text: 'hello there', stopReason: 'end_turn', usage: { promptTokens: 11, completionTokens: 7 }, usageSource: 'provider' });
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
    expect(r).toEqual({ text: 'bonjour', stopReason: 'end_turn', usage: { promptTokens: 21, completionTokens: 9 }, usageSource: 'provider' });
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('ak-test');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toEqual({ model: 'claude-fake', max_tokens: 32, system: messages[0]!.content, messages: [messages[1]] });
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
    const first = await model.complete({ messages, maxTokens: 8 });
    expect(first.stopReason).toBe('continue');
    expect(first.text).toContain('check the wire format');
    expect(await model.complete({ messages, maxTokens: 8 })).toEqual(first);
    const second = await model.complete({ messages: [...messages, { role: 'assistant', content: first.text }], maxTokens: 8 });
    expect(second.stopReason).toBe('end_turn');
    expect(second.text).toStartWith('Final answer (step 2/2)');
    expect(second.usage.promptTokens).toBe(countChatTokens([...messages, { role: 'assistant', content: first.text }]));
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
