import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failures with their message and stack moved into an encoded payload (`encodeCommonAttributes`), so
 * the payload codec encrypts them like any other payload: an error quoting user text never reaches
 * Temporal in plain text. Loaded by path in the workflow bundle, every worker and every client.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
