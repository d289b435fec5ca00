import { z } from 'zod';
import { nodeIdSchema } from './spec';

/** `decideGate`: a person's decision at a gate node, named by its node id. */
export const gatePayloadSchema = z
  .object({ node: nodeIdSchema, approved: z.boolean(), approver: z.string().trim().min(1).max(200), reason: z.string().max(1_000).optional() })
  .strict();
