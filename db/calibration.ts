import { eq, sql } from 'drizzle-orm';
import { promptMargin } from '../kernel/cost/budget';
import type { Db } from './client';
import { modelCalibration } from './schema';

/** How many recent ratios a model's margin is taken from. */
const KEEP = 20;

/** The prompt margin to reserve with for `model` (1 until its provider has reported usage). */
export async function promptMarginOf(db: Db, model: string): Promise<number> {
  const [row] = await db.select({ ratios: modelCalibration.ratios }).from(modelCalibration).where(eq(modelCalibration.model, model)).limit(1);
  return promptMargin(row?.ratios ?? []);
}

/** Records one call's prompt as the provider billed it against the kernel's count. */
export async function recordPromptRatio(db: Db, model: string, counted: number, billed: number): Promise<void> {
  if (counted <= 0 || billed <= 0) return;
  const ratio = Math.round((billed / counted) * 1e4) / 1e4;
  await db
    .insert(modelCalibration)
    .values({ model, ratios: [ratio], samples: 1 })
    .onConflictDoUpdate({
      target: modelCalibration.model,
      set: {
        // Append, keeping the newest KEEP ratios.
        ratios: sql`(select coalesce(jsonb_agg(r order by i), '[]'::jsonb) from (select r, i from jsonb_array_elements(${modelCalibration.ratios} || ${JSON.stringify([ratio])}::jsonb) with ordinality as t(r, i) order by i desc limit ${KEEP}) kept)`,
        samples: sql`${modelCalibration.samples} + 1`,
        updatedAt: new Date(),
      },
    });
}
