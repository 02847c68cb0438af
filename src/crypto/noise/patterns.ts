/**
 * The Noise handshake patterns sealpush runs or tests against (revision 34, section 7), as
 * data: everything the state machine needs to know about one pattern, in one place. The psk
 * patterns (section 9) are written out with their `psk` token already placed: `pskN` puts it
 * at the start of the first message for N = 0, else at the end of message N.
 */

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';
export type PatternName = 'NN' | 'NK' | 'XK' | 'IK' | 'NNpsk0' | 'NNpsk2' | 'NKpsk0' | 'IKpsk2';

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
  NNpsk0: {
    name: 'NNpsk0',
    initiatorPreMessage: [],
    responderPreMessage: [],
    messages: [['psk', 'e'], ['e', 'ee']],
  },
  NNpsk2: {
    name: 'NNpsk2',
    initiatorPreMessage: [],
    responderPreMessage: [],
    messages: [['e'], ['e', 'ee', 'psk']],
  },
  NKpsk0: {
    name: 'NKpsk0',
    initiatorPreMessage: [],
    responderPreMessage: ['s'],
    messages: [['psk', 'e', 'es'], ['e', 'ee']],
  },
  IKpsk2: {
    name: 'IKpsk2',
    initiatorPreMessage: [],
    responderPreMessage: ['s'],
    messages: [['e', 'es', 's', 'ss'], ['e', 'ee', 'se', 'psk']],
  },
};

/**
 * True when the pattern has a psk token: then every `e` token also calls MixKey(e.public_key)
 * (section 9.2), so that no message is encrypted under a key the psk alone determines.
 */
export function usesPsk(pattern: HandshakePattern): boolean {
  return pattern.messages.some((tokens) => tokens.includes('psk'));
}

/** The full protocol name, e.g. `Noise_IK_25519_AESGCM_SHA256`. */
export function protocolName(pattern: HandshakePattern, suite: string): string {
  return `Noise_${pattern.name}_${suite}`;
}
