/** One scripted HTTP answer of the fake provider. */
export interface FakeReply {
  status?: number;
  body: unknown;
  /** Answer only after this long (to observe a call in flight). */
  delayMs?: number;
  headers?: Record<string, string>;
}

/** A local HTTP server that speaks the OpenAI and Anthropic wire formats from a queue of replies. */
export interface FakeLlmServer {
  url: string;
  /** Requests received: path, headers and parsed JSON body. */
  requests: Array<{ path: string; headers: Record<string, string>; body: unknown; at: number }>;
  /** Requests whose answer was due (after any delay), in order: whether the client had hung up by then. */
  answered: Array<{ aborted: boolean }>;
  /** Queues replies; when the queue is empty, `fallback` answers. */
  enqueue(...replies: FakeReply[]): void;
  /** Answers by looking at the request first (before the queue), when set. */
  respond: ((body: unknown) => FakeReply | undefined) | undefined;
  stop(): Promise<void>;
}

/** OpenAI's usage object: the counts, and optionally the cached and reasoning details. */
export type FakeUsage = { prompt_tokens: number; completion_tokens: number } & Record<string, unknown>;

/** An OpenAI chat-completions body. */
export function openAiReply(content: string, finishReason = 'stop', usage: FakeUsage | null = { prompt_tokens: 11, completion_tokens: 7 }): FakeReply {
  return completion({ role: 'assistant', content }, finishReason, usage);
}

/** An Anthropic messages body. */
export function anthropicReply(text: string, stopReason = 'end_turn'): FakeReply {
  return {
    body: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: 'claude-fake',
      content: [{ type: 'text', text }],
      stop_reason: stopReason,
      usage: { input_tokens: 21, output_tokens: 9 },
    },
  };
}

/** Starts the fake provider on a free port. */
export function startFakeLlm(fallback: FakeReply = openAiReply('fallback answer')): FakeLlmServer {
  const queue: FakeReply[] = [];
  const requests: FakeLlmServer['requests'] = [];
  const answered: FakeLlmServer['answered'] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = await req.json().catch(() => null);
      requests.push({ path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers), body, at: Date.now() });
      const reply = fake.respond?.(body) ?? queue.shift() ?? fallback;
      if (reply.delayMs) await Bun.sleep(reply.delayMs);
      answered.push({ aborted: req.signal.aborted });
      const streamed = (body as { stream?: boolean } | null)?.stream === true && (reply.status ?? 200) === 200;
      if (streamed) return new Response(toOpenAiStream(reply.body), { headers: { 'content-type': 'text/event-stream' } });
      return Response.json(reply.body, { status: reply.status ?? 200, headers: reply.headers });
    },
  });
  const fake: FakeLlmServer = {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    answered,
    enqueue: (...replies) => queue.push(...replies),
    respond: undefined,
    stop: () => server.stop(true),
  };
  return fake;
}

interface CompletionBody {
  choices: Array<{ message: { content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }>;
  usage?: unknown;
}

/** Re-encodes a chat-completions body as OpenAI's streaming chunks (word by word, tool calls in pieces). */
export function toOpenAiStream(raw: unknown): string {
  const body = raw as CompletionBody;
  const choice = body.choices[0]!;
  const chunks: unknown[] = [{ choices: [{ index: 0, delta: { role: 'assistant' } }] }];
  for (const word of (choice.message.content ?? '').match(/\S+\s*/g) ?? []) chunks.push({ choices: [{ index: 0, delta: { content: word } }] });
  (choice.message.tool_calls ?? []).forEach((call, index) => {
    const half = Math.ceil(call.function.arguments.length / 2);
    chunks.push({ choices: [{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments.slice(0, half) } }] } }] });
    chunks.push({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: call.function.arguments.slice(half) } }] } }] });
  });
  chunks.push({ choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }] });
  if (body.usage) chunks.push({ choices: [], usage: body.usage });
  return `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
}

/** An OpenAI chat-completions body that asks for one tool call. */
export function openAiToolCall(name: string, args: Record<string, unknown>, usage = { prompt_tokens: 11, completion_tokens: 7 }, id = `call_${name}`): FakeReply {
  return completion({ role: 'assistant', content: '', tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }] }, 'tool_calls', usage);
}

/** A chat.completion body around one assistant message. */
function completion(message: Record<string, unknown>, finishReason: string, usage: FakeUsage | null): FakeReply {
  return {
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'fake-model',
      choices: [{ index: 0, message, finish_reason: finishReason }],
      ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    },
  };
}
