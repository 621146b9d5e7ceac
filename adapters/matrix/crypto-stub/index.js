'use strict';
/*
 * Pilote's stand-in for @matrix-org/matrix-sdk-crypto-nodejs. matrix-bot-sdk requires that
 * module when it is imported, and the real one needs a native library downloaded at install
 * time, which Pilote does not depend on: Pilote never turns Matrix encryption on. This module
 * lets the SDK load; any use of a crypto class fails with an error that says why.
 */

const MESSAGE =
  'Matrix end-to-end encryption is not available in Pilote (the native crypto module is replaced by a stub); ' +
  'use an unencrypted room.';

/** The error every use of the stub throws. */
function unavailable(what) {
  const err = new Error(`${what}: ${MESSAGE}`);
  err.code = 'PILOTE_MATRIX_CRYPTO_UNAVAILABLE';
  return err;
}

/** A class that cannot be constructed, nor used through its static methods. */
function unusableClass(name) {
  const cls = {
    [name]: class {
      constructor() {
        throw unavailable(`new ${name}()`);
      }
    },
  }[name];
  // Static factories of the real classes (e.g. OlmMachine.initialize) throw the same way.
  return new Proxy(cls, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && !(prop in target)) {
        return () => {
          throw unavailable(`${name}.${prop}()`);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

const CLASSES = [
  'Attachment', 'EncryptedAttachment', 'BackupDecryptionKey', 'MegolmV1BackupKey', 'RoomKeyCounts', 'BackupKeys',
  'EncryptionSettings', 'ShieldState', 'UserId', 'DeviceId', 'DeviceKeyId', 'DeviceKeyAlgorithm', 'RoomId',
  'ServerName', 'OlmMachine', 'CrossSigningStatus', 'KeysUploadRequest', 'KeysQueryRequest', 'KeysClaimRequest',
  'ToDeviceRequest', 'SignatureUploadRequest', 'RoomMessageRequest', 'KeysBackupRequest', 'DecryptedRoomEvent',
  'DeviceLists', 'Signatures', 'Signature', 'MaybeSignature', 'SignatureVerification', 'Ed25519PublicKey',
  'Ed25519Signature', 'Curve25519PublicKey', 'IdentityKeys', 'Versions',
];

for (const name of CLASSES) module.exports[name] = unusableClass(name);

// Plain enums of the real module: harmless values, kept so code reading them does not crash.
module.exports.StoreType = Object.freeze({ Sqlite: 0 });
module.exports.EncryptionAlgorithm = Object.freeze({});
module.exports.ShieldColor = Object.freeze({});
module.exports.ShieldStateCode = Object.freeze({});
module.exports.HistoryVisibility = Object.freeze({});
module.exports.DeviceKeyAlgorithmName = Object.freeze({});
module.exports.RequestType = Object.freeze({});
module.exports.SignatureState = Object.freeze({});

module.exports.getVersions = () => {
  throw unavailable('getVersions()');
};

/** True: lets Pilote (and its tests) tell the stub from the real module. */
module.exports.isPiloteStub = true;
