/** The part of the WHATWG WebSocket the client uses; the browser's and `ws`'s both fit. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export type SocketConstructor = new (url: string) => SocketLike;

/**
 * The platform's WebSocket: the global one in browsers (and Node 22+), else the `ws`
 * package in Node, loaded only when needed so browsers never see it.
 */
export async function defaultSocketConstructor(): Promise<SocketConstructor> {
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (global) return global;
  const specifier = 'ws';
  const mod = (await import(specifier)) as { WebSocket: SocketConstructor };
  return mod.WebSocket;
}
