/** Streaming multiprocessors per MIG compute slice, by GPU family (NVIDIA's MIG user guide). */
const SM_PER_SLICE: ReadonlyArray<[RegExp, number]> = [
  [/A100|A800/i, 14],
  [/A30/i, 14],
  [/H100|H800|H200|GH200|H20/i, 16],
  [/B200|GB200/i, 18],
];

/**
 * A MIG instance's profile name as NVIDIA writes it (`<slices>g.<GB>gb`, e.g. `1g.20gb`), from its
 * multiprocessor count and memory; null when the family or a number is unknown.
 */
export function migProfile(gpuName: string, multiprocessors: number | null, memoryMiB: number | null): string | null {
  const perSlice = SM_PER_SLICE.find(([re]) => re.test(gpuName))?.[1];
  if (!perSlice || multiprocessors === null || memoryMiB === null) return null;
  const slices = Math.max(1, Math.round(multiprocessors / perSlice));
  return `${slices}g.${Math.round(memoryMiB / 1024)}gb`;
}
