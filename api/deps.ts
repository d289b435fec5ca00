import type { ControlDeps } from '../control/deps';
import type { ApiSecurity } from './auth/settings';

/** What the HTTP API needs: everything the control operations need, and its security settings. */
export type ApiDeps = ControlDeps & { security: ApiSecurity };
