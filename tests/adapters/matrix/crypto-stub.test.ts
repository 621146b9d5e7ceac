/**
 * matrix-bot-sdk without its native crypto module: the SDK's crypto dependency resolves to
 * Pilote's local stub (a `file:` dependency that package.json's `overrides` also gives the
 * SDK), so the SDK loads where the native download is impossible, and any use of encryption
 * fails with an error that says why.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('the matrix crypto stub', () => {
  it('is what matrix-bot-sdk gets for @matrix-org/matrix-sdk-crypto-nodejs, and the SDK loads', async () => {
    const fromSdk = createRequire(require.resolve('matrix-bot-sdk'));
    const crypto = fromSdk('@matrix-org/matrix-sdk-crypto-nodejs') as Record<string, unknown>;
    expect(crypto.isPiloteStub).toBe(true);
    expect(fromSdk.resolve('@matrix-org/matrix-sdk-crypto-nodejs')).toMatch(/adapters\/matrix\/crypto-stub\/index\.js$/);
    const sdk = await import('matrix-bot-sdk');
    expect(typeof sdk.MatrixClient).toBe('function');
    expect(typeof sdk.MatrixAuth).toBe('function');
  });

  it('throws a clear error when encryption is used', () => {
    const crypto = require('@matrix-org/matrix-sdk-crypto-nodejs') as Record<string, new (...args: unknown[]) => unknown> & { OlmMachine: { initialize(): unknown } };
    expect(() => new crypto.UserId!('@a:b')).toThrow(/end-to-end encryption is not available in Pilote/);
    expect(() => crypto.OlmMachine.initialize()).toThrow(/OlmMachine\.initialize\(\).*not available/);
  });
});
