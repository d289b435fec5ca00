import type { ControlDeps } from '../control/deps';

/** What the HTTP API needs: everything the control operations need. */
export type ApiDeps = ControlDeps;
