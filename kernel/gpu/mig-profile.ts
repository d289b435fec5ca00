/**
 * By GPU family: the multiprocessors of its smallest (1g) MIG instance, and its most compute slices
 * (NVIDIA's MIG user guide: A100 1g = 14 SMs of 98; A30 14 of 56 in four slices; H100/H200 16 of 132).
 */
const FAMILIES: ReadonlyArray<[RegExp, { smPerSlice: number; slices: number }]> = [
  [/A30\b/i, { smPerSlice: 14, slices: 4 }],
  [/A100|A800/i, { smPerSlice: 14, slices: 7 }],
  [/H100|H800|H200|GH200|H20\b/i, { smPerSlice: 16, slices: 7 }],
];

/**
 * A MIG instance's profile name as NVIDIA writes it (`<slices>g.<GB>gb`, e.g. `1g.20gb`, `3g.40gb`):
 * compute slices from its multiprocessors (whole slices, at most the family's), memory rounded up
 * to a gigabyte. Null when the family or a number is unknown — then request by memory.
 */
export function migProfile(gpuName: string, multiprocessors: number | null, memoryMiB: number | null): string | null {
  const family = FAMILIES.find(([re]) => re.test(gpuName))?.[1];
  if (!family || multiprocessors === null || memoryMiB === null) return null;
  const slices = Math.min(family.slices, Math.max(1, Math.floor(multiprocessors / family.smPerSlice)));
  return `${slices}g.${Math.ceil(memoryMiB / 1024)}gb`;
}
