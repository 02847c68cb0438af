/**
 * The Noise handshake patterns sealpush runs or tests against (revision 34, section 7), as
 * data: everything the state machine needs to know about one pattern, in one place.
 */

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss';
export type PatternName = 'NN' | 'NK' | 'XK' | 'IK';

export interface HandshakePattern {
  readonly name: PatternName;
  /** Public keys known before the handshake, mixed into h: initiator's first, then responder's. */
  readonly initiatorPreMessage: readonly ('e' | 's')[];
  readonly responderPreMessage: readonly ('e' | 's')[];
  /** Message i is sent by the initiator when i is even, by the responder when odd. */
  readonly messages: readonly (readonly Token[])[];
}

export const PATTERNS: Readonly<Record<PatternName, HandshakePattern>> = {
  NN: {
    name: 'NN',
    initiatorPreMessage: [],
    responderPreMessage: [],
    messages: [['e'], ['e', 'ee']],
  },
  NK: {
    name: 'NK',
    initiatorPreMessage: [],
    responderPreMessage: ['s'],
    messages: [['e', 'es'], ['e', 'ee']],
  },
  XK: {
    name: 'XK',
    initiatorPreMessage: [],
    responderPreMessage: ['s'],
    messages: [['e', 'es'], ['e', 'ee'], ['s', 'se']],
  },
  IK: {
    name: 'IK',
    initiatorPreMessage: [],
    responderPreMessage: ['s'],
    messages: [['e', 'es', 's', 'ss'], ['e', 'ee', 'se']],
  },
};

/** The full protocol name, e.g. `Noise_IK_25519_AESGCM_SHA256`. */
export function protocolName(pattern: HandshakePattern, suite: string): string {
  return `Noise_${pattern.name}_${suite}`;
}
