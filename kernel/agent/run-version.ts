/**
 * The workflow release a run starts under, carried in its input (and across continue-as-new). A run
 * started at version 1 or later has every workflow change patched before that release from its
 * first workflow task, with no patch marker and no `TemporalChangeVersion` upsert in its history
 * (on the dev server an upsert costs the server about as much as a step's worth of work); only runs
 * started before it (no version) ask `patched()` at each change, as they always did.
 *
 * 1: sparse step attribute, kill cancels tools, durable wait, entity memory, local rules, local finish.
 */
export const RUN_VERSION = 1;
