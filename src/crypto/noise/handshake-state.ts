/**
 * Noise HandshakeState (revision 34, section 5.3) with the psk modifiers (section 9), over an
 * injected NoiseCrypto. Browser-safe. Errors are plain Errors: the protocol layer above maps any
 * handshake failure to one catalogue code.
 */

import { concatBytes } from '../encoding.js';
import { type HandshakePattern, type Token, protocolName, usesPsk } from './patterns.js';
import { DHLEN, PSKLEN, TAGLEN, type KeyPair, type NoiseCrypto } from './primitives.js';
import { type CipherState, SymmetricState } from './symmetric-state.js';

export interface HandshakeOptions {
  readonly crypto: NoiseCrypto;
  readonly pattern: HandshakePattern;
  readonly initiator: boolean;
  readonly prologue: Uint8Array;
  /** Local static key pair, required when the pattern sends or pre-shares `s`. */
  readonly s?: KeyPair;
  /** Local ephemeral key pair: only test vectors inject one; otherwise generated. */
  readonly e?: KeyPair;
  /** Remote static public key, required when the remote's `s` is a pre-message. */
  readonly rs?: Uint8Array;
  /** The pre-shared keys (32 bytes each), consumed in order by the pattern's psk tokens. */
  readonly psks?: readonly Uint8Array[];
}

/** The CipherStates after the last handshake message: initiator-to-responder first. */
export interface SplitResult {
  readonly initiatorToResponder: CipherState;
  readonly responderToInitiator: CipherState;
  /** The third HKDF(ck, zerolen) output: a secret of this session beside the transport keys. */
  readonly sessionSecret: Uint8Array;
}

export class HandshakeState {
  readonly #crypto: NoiseCrypto;
  readonly #pattern: HandshakePattern;
  readonly #initiator: boolean;
  readonly #symmetric: SymmetricState;
  readonly #s: KeyPair | undefined;
  readonly #psks: Uint8Array[];
  readonly #pskMode: boolean;
  #e: KeyPair | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #messageIndex = 0;
  #failed = false;

  private constructor(options: HandshakeOptions, symmetric: SymmetricState) {
    this.#crypto = options.crypto;
    this.#pattern = options.pattern;
    this.#initiator = options.initiator;
    this.#symmetric = symmetric;
    this.#s = options.s;
    this.#psks = [...(options.psks ?? [])];
    this.#pskMode = usesPsk(options.pattern);
    this.#e = options.e;
    this.#rs = options.rs;
  }

  /** Initialize(): protocol name, prologue and pre-message public keys mixed into h. */
  static async initialize(options: HandshakeOptions): Promise<HandshakeState> {
    const { crypto, pattern, initiator } = options;
    const pskCount = pattern.messages.flat().filter((token) => token === 'psk').length;
    if ((options.psks?.length ?? 0) !== pskCount) throw new Error(`Noise ${pattern.name} needs ${pskCount} psk(s)`);
    if (options.psks?.some((psk) => psk.length !== PSKLEN)) throw new Error(`a Noise psk is ${PSKLEN} bytes`);
    const symmetric = await SymmetricState.initialize(crypto, protocolName(pattern, crypto.suite));
    await symmetric.mixHash(options.prologue);
    const state = new HandshakeState(options, symmetric);
    for (const [preMessage, local] of [
      [pattern.initiatorPreMessage, initiator],
      [pattern.responderPreMessage, !initiator],
    ] as const) {
      for (const token of preMessage) {
        const key = state.#preMessageKey(token, local);
        await symmetric.mixHash(key);
      }
    }
    return state;
  }

  /** The remote static public key, once known (pre-shared or received). */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#rs?.slice();
  }

  /** h; after the last message, the channel binding value both sides share. */
  get handshakeHash(): Uint8Array {
    return this.#symmetric.handshakeHash;
  }

  get isComplete(): boolean {
    return this.#messageIndex >= this.#pattern.messages.length;
  }

  async writeMessage(payload: Uint8Array): Promise<Uint8Array> {
    const tokens = this.#nextTokens(true);
    const parts: Uint8Array[] = [];
    try {
      for (const token of tokens) {
        if (token === 'e') {
          this.#e ??= await this.#crypto.generateKeyPair();
          parts.push(this.#e.publicKey);
          await this.#mixEphemeral(this.#e.publicKey);
        } else if (token === 's') {
          parts.push(await this.#symmetric.encryptAndHash(this.#required(this.#s, 's').publicKey));
        } else if (token === 'psk') {
          await this.#mixPsk();
        } else {
          await this.#mixDh(token);
        }
      }
      parts.push(await this.#symmetric.encryptAndHash(payload));
    } catch (err) {
      this.#failed = true;
      throw err;
    }
    this.#messageIndex += 1;
    return concatBytes(...parts);
  }

  /** Returns the payload; rejects (and the state is then dead) on any malformed or forged input. */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    const tokens = this.#nextTokens(false);
    let offset = 0;
    const take = (length: number): Uint8Array => {
      if (offset + length > message.length) throw new Error('Noise message too short');
      const part = message.subarray(offset, offset + length);
      offset += length;
      return part;
    };
    let payload: Uint8Array;
    try {
      for (const token of tokens) {
        if (token === 'e') {
          this.#re = take(DHLEN).slice();
          await this.#mixEphemeral(this.#re);
        } else if (token === 's') {
          const length = this.#symmetric.hasKey() ? DHLEN + TAGLEN : DHLEN;
          this.#rs = (await this.#symmetric.decryptAndHash(take(length))).slice();
        } else if (token === 'psk') {
          await this.#mixPsk();
        } else {
          await this.#mixDh(token);
        }
      }
      const rest = message.subarray(offset);
      if (this.#symmetric.hasKey() && rest.length < TAGLEN) throw new Error('Noise message too short');
      payload = await this.#symmetric.decryptAndHash(rest);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
    this.#messageIndex += 1;
    return payload;
  }

  /** Split(): only after the last message. */
  async split(): Promise<SplitResult> {
    if (!this.isComplete || this.#failed) throw new Error('Noise handshake not complete');
    const [initiatorToResponder, responderToInitiator, sessionSecret] = await this.#symmetric.split();
    return { initiatorToResponder, responderToInitiator, sessionSecret };
  }

  #nextTokens(writing: boolean): readonly Token[] {
    if (this.#failed) throw new Error('Noise handshake already failed');
    const tokens = this.#pattern.messages[this.#messageIndex];
    if (tokens === undefined) throw new Error('Noise handshake already complete');
    const initiatorTurn = this.#messageIndex % 2 === 0;
    if (initiatorTurn !== (this.#initiator === writing)) throw new Error('Noise message out of turn');
    return tokens;
  }

  /** The `e` token's hashing; in psk mode also MixKey (section 9.2). */
  async #mixEphemeral(publicKey: Uint8Array): Promise<void> {
    await this.#symmetric.mixHash(publicKey);
    if (this.#pskMode) await this.#symmetric.mixKey(publicKey);
  }

  async #mixPsk(): Promise<void> {
    await this.#symmetric.mixKeyAndHash(this.#required(this.#psks.shift(), 'psk'));
  }

  async #mixDh(token: 'ee' | 'es' | 'se' | 'ss'): Promise<void> {
    // For es/se the first letter names the initiator's key, the second the responder's.
    const localLetter = this.#initiator ? token[0] : token[1];
    const remoteLetter = this.#initiator ? token[1] : token[0];
    const local = localLetter === 'e' ? this.#required(this.#e, 'e') : this.#required(this.#s, 's');
    const remote = remoteLetter === 'e' ? this.#required(this.#re, 're') : this.#required(this.#rs, 'rs');
    await this.#symmetric.mixKey(await this.#crypto.dh(local, remote));
  }

  #preMessageKey(token: 'e' | 's', local: boolean): Uint8Array {
    if (local) return token === 'e' ? this.#required(this.#e, 'e').publicKey : this.#required(this.#s, 's').publicKey;
    if (token === 'e') throw new Error('remote ephemeral pre-messages are not supported');
    return this.#required(this.#rs, 'rs');
  }

  #required<T>(value: T | undefined, name: string): T {
    if (value === undefined) throw new Error(`Noise handshake needs key ${name}`);
    return value;
  }
}
