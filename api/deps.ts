import type { ControlDeps } from '../control/deps';
import type { LiveConfig } from '../infra/config/live';
import type { Config } from '../kernel/config';
import type { ApiSecurity } from './auth/settings';

/** What the HTTP API needs: everything the control operations need, its security settings and its config (for GET /config). */
export type ApiDeps = ControlDeps & { security: ApiSecurity; config?: { effective: Config; live: LiveConfig } };
