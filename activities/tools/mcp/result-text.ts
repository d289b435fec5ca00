/** One content block of an MCP tool result (the shapes the spec defines; others are named by type). */
type Block = { type: string; text?: string; mimeType?: string; data?: string; uri?: string; name?: string; resource?: { uri?: string; text?: string; mimeType?: string } };

const MAX_CHARS = 100_000;

/**
 * An MCP tool result as the text the model reads: text blocks as they are, a binary block as a
 * one-line description (never its bytes), an embedded resource as its URI and text, and
 * structured content as JSON when there is nothing else. Capped at 100,000 characters.
 */
export function resultText(result: { content?: unknown; structuredContent?: unknown; toolResult?: unknown }): string {
  const blocks = Array.isArray(result.content) ? (result.content as Block[]) : [];
  const parts = blocks.map((b) => {
    if (b.type === 'text') return b.text ?? '';
    if (b.type === 'image' || b.type === 'audio') return `[${b.type} ${b.mimeType ?? ''}, ${Math.floor(((b.data ?? '').length * 3) / 4)} bytes]`;
    if (b.type === 'resource') return `[resource ${b.resource?.uri ?? ''}]${b.resource?.text ? `\n${b.resource.text}` : ''}`;
    if (b.type === 'resource_link') return `[resource link ${b.uri ?? ''}${b.name ? ` (${b.name})` : ''}]`;
    return `[${b.type}]`;
  });
  if (!parts.length && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  if (!parts.length && result.toolResult !== undefined) parts.push(typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult));
  const text = parts.join('\n');
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}… [cut at ${MAX_CHARS} characters]` : text;
}
