/**
 * Noise CipherState and SymmetricState (Noise Protocol Framework revision 34, sections 4.2
 * and 5.1-5.2), over an injected NoiseCrypto. Browser-safe.
 */

import { concatBytes, utf8Encode } from '../encoding.js';
import { HASHLEN, MAX_COUNTER, type NoiseCrypto } from './primitives.js';

const EMPTY = new Uint8Array(0);

/**
 * Noise's HKDF (section 4.3), built from HMAC as the spec defines it; it is not the RFC 5869
 * extract/expand call with salt and info.
 */
export async function noiseHkdf(
  crypto: NoiseCrypto,
  chainingKey: Uint8Array,
  inputKeyMaterial: Uint8Array,
  outputs: 2 | 3,
): Promise<Uint8Array[]> {
  const tempKey = await crypto.hmac(chainingKey, inputKeyMaterial);
  const output1 = await crypto.hmac(tempKey, Uint8Array.of(0x01));
  const output2 = await crypto.hmac(tempKey, concatBytes(output1, Uint8Array.of(0x02)));
  if (outputs === 2) return [output1, output2];
  const output3 = await crypto.hmac(tempKey, concatBytes(output2, Uint8Array.of(0x03)));
  return [output1, output2, output3];
}

/** A key (or none) and a counter nonce. The counter advances only after a success. */
export class CipherState {
  readonly #crypto: NoiseCrypto;
  #key: Uint8Array | null;
  #counter: number;

  constructor(crypto: NoiseCrypto, key: Uint8Array | null = null, counter = 0) {
    this.#crypto = crypto;
    this.#key = key;
    this.#counter = counter;
  }

  hasKey(): boolean {
    return this.#key !== null;
  }

  /** The current key (a copy), or null before the first MixKey. */
  get key(): Uint8Array | null {
    return this.#key === null ? null : this.#key.slice();
  }

  get counter(): number {
    return this.#counter;
  }

  /** InitializeKey(k): a new key with the counter back at 0. */
  initializeKey(key: Uint8Array): void {
    this.#key = key;
    this.#counter = 0;
  }

  setNonce(counter: number): void {
    this.#counter = counter;
  }

  /** Without a key, returns the plaintext unchanged (Noise's rule during early handshake). */
  async encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    if (this.#key === null) return plaintext;
    this.#checkCounter();
    const out = await this.#crypto.encrypt(this.#key, this.#counter, ad, plaintext);
    this.#counter += 1;
    return out;
  }

  /** Rejects on authentication failure, leaving the counter where it was. */
  async decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (this.#key === null) return ciphertext;
    this.#checkCounter();
    const out = await this.#crypto.decrypt(this.#key, this.#counter, ad, ciphertext);
    this.#counter += 1;
    return out;
  }

  async rekey(): Promise<void> {
    if (this.#key === null) throw new Error('REKEY without a key');
    this.#key = await this.#crypto.rekey(this.#key);
  }

  #checkCounter(): void {
    if (this.#counter >= MAX_COUNTER) throw new Error('Noise nonce exhausted');
  }
}

/** Chaining key, handshake hash and the handshake's CipherState. */
export class SymmetricState {
  readonly #crypto: NoiseCrypto;
  readonly #cipher: CipherState;
  #chainingKey: Uint8Array;
  #hash: Uint8Array;

  private constructor(crypto: NoiseCrypto, hash: Uint8Array) {
    this.#crypto = crypto;
    this.#cipher = new CipherState(crypto);
    this.#chainingKey = hash;
    this.#hash = hash;
  }

  /** InitializeSymmetric(protocol_name). */
  static async initialize(crypto: NoiseCrypto, protocolName: string): Promise<SymmetricState> {
    const name = utf8Encode(protocolName);
    let hash: Uint8Array;
    if (name.length <= HASHLEN) {
      hash = new Uint8Array(HASHLEN);
      hash.set(name);
    } else {
      hash = await crypto.hash(name);
    }
    return new SymmetricState(crypto, hash);
  }

  /** h: the handshake hash so far (a copy). */
  get handshakeHash(): Uint8Array {
    return this.#hash.slice();
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  async mixKey(inputKeyMaterial: Uint8Array): Promise<void> {
    const [chainingKey, tempKey] = await noiseHkdf(this.#crypto, this.#chainingKey, inputKeyMaterial, 2);
    this.#chainingKey = chainingKey!;
    this.#cipher.initializeKey(tempKey!);
  }

  async mixHash(data: Uint8Array): Promise<void> {
    this.#hash = await this.#crypto.hash(concatBytes(this.#hash, data));
  }

  async mixKeyAndHash(inputKeyMaterial: Uint8Array): Promise<void> {
    const [chainingKey, tempHash, tempKey] = await noiseHkdf(this.#crypto, this.#chainingKey, inputKeyMaterial, 3);
    this.#chainingKey = chainingKey!;
    await this.mixHash(tempHash!);
    this.#cipher.initializeKey(tempKey!);
  }

  async encryptAndHash(plaintext: Uint8Array): Promise<Uint8Array> {
    const ciphertext = await this.#cipher.encryptWithAd(this.#hash, plaintext);
    await this.mixHash(ciphertext);
    return ciphertext;
  }

  /** Rejects on authentication failure; h is then unchanged. */
  async decryptAndHash(ciphertext: Uint8Array): Promise<Uint8Array> {
    const plaintext = await this.#cipher.decryptWithAd(this.#hash, ciphertext);
    await this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * The two transport CipherStates (initiator-to-responder first, then responder-to-initiator)
   * and a session secret: HKDF(ck, zerolen) with a third output. Its first two outputs are
   * exactly Noise's Split() keys, so the transport is unchanged; the third is a secret both
   * sides share and nobody else can derive, for keys outside the transport (cohort slots).
   */
  async split(): Promise<[CipherState, CipherState, Uint8Array]> {
    const [key1, key2, secret] = await noiseHkdf(this.#crypto, this.#chainingKey, EMPTY, 3);
    return [new CipherState(this.#crypto, key1!), new CipherState(this.#crypto, key2!), secret!];
  }
}
