/** What `nvidia-smi` says about a GPU's memory health. */
export interface HealthSignals {
  /** Uncorrectable ECC errors since the driver loaded (DRAM, SRAM, or the old double-bit count). */
  uncorrectableVolatile: number;
  /** `Yes` when pages wait to be retired (the GPU needs a reset). */
  retirementPending: string | null;
  /** `Yes` when a row remap waits for a reset. */
  remapPending: string | null;
  /** `Yes` when a row remap failed. */
  remapFailure: string | null;
}

const yes = (v: string | null) => v?.toLowerCase() === 'yes';

/** Why a GPU must not take new work: each signal that says its memory cannot be trusted until a reset; empty when healthy. */
export function gpuProblems(s: HealthSignals): string[] {
  const problems: string[] = [];
  if (s.uncorrectableVolatile > 0) problems.push(`${s.uncorrectableVolatile} uncorrectable ECC error(s) since the driver loaded`);
  if (yes(s.retirementPending)) problems.push('retired pages pending (needs a reset)');
  if (yes(s.remapPending)) problems.push('row remapping pending (needs a reset)');
  if (yes(s.remapFailure)) problems.push('row remapping failed');
  return problems;
}
