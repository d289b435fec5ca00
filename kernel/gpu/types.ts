/** A MIG instance carved out of a GPU. */
export interface MigDevice {
  index: number | null;
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
}

/** What a node found: its driver and GPUs (empty when it has none). */
export interface GpuInventory {
  driverVersion: string | null;
  gpus: GpuInfo[];
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
