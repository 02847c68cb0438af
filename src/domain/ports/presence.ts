/** Tells whether a client holds a live connection anywhere (this node, or another through the bus). */
export interface PresenceLookup {
  isOnline(clientId: string): Promise<boolean>;
}
