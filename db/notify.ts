/** Postgres LISTEN/NOTIFY over either driver. */
export interface PubSub {
  /** Subscribes to a channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
}
