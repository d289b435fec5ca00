import type { ChatMessage, ToolCall, ToolSchema } from '../../kernel/llm/types';
import { kernelToolName, wireToolName } from '../../kernel/llm/wire-names';

/** Our chat messages in OpenAI's chat-completions shape. */
export function toOpenAiMessages(messages: readonly ChatMessage[]): unknown[] {
  return messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    if (m.role === 'assistant' && m.toolCalls?.length) {
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: wireToolName(c.name), arguments: JSON.stringify(c.arguments) } })),
      };
    }
    return { role: m.role, content: m.content };
  });
}

/** Tool schemas in OpenAI's `tools` shape. */
export function toOpenAiTools(tools: readonly ToolSchema[]): unknown[] {
  return tools.map((t) => ({ type: 'function', function: { name: wireToolName(t.name), description: t.description, parameters: t.parameters } }));
}

/** Parses a tool call's JSON arguments; unparsable text is kept so validation can report it. */
export function parseToolArguments(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  try {
    const value = JSON.parse(raw) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { _unparsed: raw };
  } catch {
    return { _unparsed: raw };
  }
}

/** Builds tool calls from OpenAI's `tool_calls` entries. */
export function fromOpenAiToolCalls(calls: ReadonlyArray<{ id: string; function: { name: string; arguments: string } }>, offered?: readonly ToolSchema[]): ToolCall[] {
  return calls.map((c) => ({ id: c.id, name: kernelToolName(c.function.name, offered), arguments: parseToolArguments(c.function.arguments) }));
}
