/**
 * Types of Pilote's stand-in for `@matrix-org/matrix-sdk-crypto-nodejs`: the names matrix-bot-sdk's
 * typings import. Every class throws when constructed or used (see index.js).
 */

/** Store kinds of the real module (only for matrix-bot-sdk's typings). */
export declare enum StoreType {
  Sqlite = 0,
}

/** Always throws: encryption is not available. */
export declare class OlmMachine {
  private constructor();
  static initialize(...args: unknown[]): Promise<OlmMachine>;
}

/** Always throws: encryption is not available. */
export declare class UserId {
  constructor(id: string);
}

/** Always throws: encryption is not available. */
export declare class DeviceId {
  constructor(id: string);
}

/** Always throws: encryption is not available. */
export declare class RoomId {
  constructor(id: string);
}

/** Always throws: encryption is not available. */
export declare class EncryptionSettings {
  constructor();
}

/** Always throws: encryption is not available. */
export declare class DeviceLists {
  constructor(changed?: UserId[], left?: UserId[]);
}

/** Always throws: encryption is not available. */
export declare class Attachment {
  static encrypt(data: Uint8Array): EncryptedAttachment;
  static decrypt(attachment: EncryptedAttachment): Uint8Array;
}

/** Always throws: encryption is not available. */
export declare class EncryptedAttachment {
  constructor(data: Uint8Array, info: string);
}

/** True in the stub (absent from the real module). */
export declare const isPiloteStub: true;
