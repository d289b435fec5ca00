import { z } from 'zod';

/** A unit of work for an agent (CrewAI's Task): what to do and what a good answer looks like. */
export const taskDefinitionSchema = z.object({
  description: z.string().trim().min(1).max(20_000),
  expectedOutput: z.string().trim().min(1).max(4_000),
  /** Facts or prior results the task may use. */
  context: z.array(z.string().max(20_000)).max(50).default([]),
});

/** A validated task. */
export type TaskDefinition = z.infer<typeof taskDefinitionSchema>;

/** The first user message for a task. */
export function renderTask(task: TaskDefinition): string {
  const parts = [`Task: ${task.description}`, `Expected output: ${task.expectedOutput}`];
  if (task.context.length > 0) parts.push(`Context:\n${task.context.map((c) => `- ${c}`).join('\n')}`);
  return parts.join('\n\n');
}
