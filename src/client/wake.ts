/**
 * Moments when waiting out the backoff is pointless: the browser says the network is back
 * (`online` on window) or the page is shown again (`visibilitychange` to visible on document;
 * timers of hidden tabs are throttled, so a retry may be long overdue). The client then retries
 * at once, from the start of its backoff, as Centrifugo's and Pusher's browser clients do.
 */

/** The part of an EventTarget the client uses (a window, a document, or `new EventTarget()` in a test). */
export interface WakeTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface WakeSignals {
  /** Fires `online` when the network is back: a browser's `window`. */
  readonly online?: WakeTarget;
  /** Fires `visibilitychange`, and says `visibilityState`: a browser's `document`. */
  readonly visibility?: WakeTarget & { readonly visibilityState: string };
}

/** The browser's window and document; none where there are none (Node). */
export function browserWakeSignals(): WakeSignals {
  const scope = globalThis as { window?: WakeTarget; document?: WakeSignals['visibility'] };
  return {
    ...(scope.window && typeof scope.window.addEventListener === 'function' ? { online: scope.window } : {}),
    ...(scope.document && typeof scope.document.addEventListener === 'function' ? { visibility: scope.document } : {}),
  };
}

/** Calls `wake` on each signal until the returned function removes the listeners. */
export function listenForWake(signals: WakeSignals, wake: () => void): () => void {
  const { online, visibility } = signals;
  const onOnline = () => wake();
  const onVisibility = () => {
    if (visibility?.visibilityState === 'visible') wake();
  };
  online?.addEventListener('online', onOnline);
  visibility?.addEventListener('visibilitychange', onVisibility);
  return () => {
    online?.removeEventListener('online', onOnline);
    visibility?.removeEventListener('visibilitychange', onVisibility);
  };
}
