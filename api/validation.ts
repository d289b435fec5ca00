import type { Context } from 'hono';
import type { z } from 'zod';
import { sendProblem, zodIssues } from './problem';

/** @hono/zod-openapi's default hook: a failed zod validation becomes a 400 problem listing the issues. */
export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target?: string }, c: Context): Response | undefined {
  if (result.success) return undefined;
  const issues = zodIssues(result.error);
  const first = issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return sendProblem(c, 400, 'invalid_input', `invalid request: ${where}${first?.message ?? 'validation failed'}`, { issues });
}
