import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { KERNEL_SEARCH_ATTRIBUTES } from '../../kernel/search-attributes';
import type { Logger } from '../logger';

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/**
 * Registers the kernel's custom search attributes in the namespace when missing (idempotent).
 * Returns the names it added. Where the operator API is not allowed (some Cloud keys), it logs
 * what to register by hand instead of failing start-up.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, logger: Logger): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(customAttributes ?? {}));
  const missing = KERNEL_SEARCH_ATTRIBUTES.filter((sa) => !present.has(sa.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((sa) => [sa.name, TYPES[sa.type]!])),
    });
  } catch (err) {
    logger.warn({ err, missing: missing.map((m) => `${m.name}=${m.type}`) }, 'could not register search attributes; register them on the namespace by hand');
    return [];
  }
  // Visibility picks new attributes up asynchronously; wait until they are listed.
  for (let i = 0; i < 50; i++) {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    if (missing.every((sa) => sa.name in (listed.customAttributes ?? {}))) break;
    await Bun.sleep(100);
  }
  logger.info({ added: missing.map((m) => m.name), namespace }, 'registered search attributes');
  return missing.map((m) => m.name);
}
