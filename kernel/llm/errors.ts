/** True when an HTTP status from a model provider is worth retrying (rate limits, server faults). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A model provider's refusal or failure, with the HTTP status that classifies it. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: string,
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${provider} answered ${status}: ${message}`);
  }

  /** 429 and 5xx are retried with backoff; 400/401/403/404 never are. */
  get retryable(): boolean {
    return isRetryableStatus(this.status);
  }
}
