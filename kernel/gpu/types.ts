/** A MIG instance carved out of a GPU: the unit of placement on a GPU in MIG mode. */
export interface MigDevice {
  index: number | null;
  /** The instance's own UUID when the driver reports one (`MIG-…`), else null. */
  uuid?: string | null;
  gpuInstanceId?: number | null;
  computeInstanceId?: number | null;
  /** Streaming multiprocessors of the instance (its compute share). */
  multiprocessorCount?: number | null;
  /** The profile, e.g. `1g.20gb` (compute slices, then memory), when it can be told. */
  profile?: string | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
}

/** One GPU as `nvidia-smi` reports it; a value the driver could not give is null. */
export interface GpuInfo {
  index: number;
  uuid: string | null;
  name: string;
  busId: string | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  memoryFreeMiB: number | null;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerDrawW: number | null;
  migEnabled: boolean | null;
  migDevices: MigDevice[];
  /** Why this GPU must not be offered (uncorrectable ECC errors, retired or remapped pages pending); empty when healthy. */
  problems?: string[];
}

/** What a node found: its driver and GPUs (empty when it has none). */
export interface GpuInventory {
  driverVersion: string | null;
  gpus: GpuInfo[];
  /** How the GPUs are linked (`nvidia-smi topo -m`), when the node could read it. */
  topology?: number[][] | null;
}

/** How a node's GPU inventory stands: read (`ok`), no `nvidia-smi` (`none`), or the last read failed (`degraded`: the last good inventory stays). */
export interface GpuStatus {
  state: 'ok' | 'none' | 'degraded';
  /** Why it is `none` or `degraded`: the command and what was wrong. */
  error: string | null;
  checkedAt: string;
}

/** Reads a number from an nvidia-smi value ("19968 MiB", "38 %", "39.25 W"); placeholders such as N/A, [N/A], [Not Supported] are null. */
export function smiNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string') return null;
  const text = raw.trim();
  if (text === '' || /^\[.*\]$/.test(text) || /^n\/?a$/i.test(text)) return null;
  const m = /^-?\d+(\.\d+)?/.exec(text);
  return m ? Number(m[0]) : null;
}

/** A string value, or null for placeholders. */
export function smiText(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  const text = String(raw).trim();
  return text === '' || /^\[.*\]$/.test(text) || /^n\/?a$/i.test(text) ? null : text;
}

/** "Enabled"/"Disabled" → boolean; anything else → null. */
export function smiEnabled(raw: unknown): boolean | null {
  const t = smiText(raw)?.toLowerCase();
  return t === 'enabled' ? true : t === 'disabled' ? false : null;
}
