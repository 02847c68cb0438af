const utf8 = new TextEncoder();

/**
 * Associated data that binds a sealed payload to its row: a payload moved to another
 * message, client or app in the database fails to open.
 */
export function payloadAad(appId: string, clientId: string, messageId: string): Uint8Array {
  return utf8.encode(`sealpush-payload-v1\n${appId}\n${clientId}\n${messageId}`);
}
