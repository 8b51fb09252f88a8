/**
 * jest's node environment for the face engine tests, with the typed-array constructors of the Node realm.
 * onnxruntime-node's native addon returns output tensors as Node-realm Float32Arrays, and onnxruntime-common,
 * loaded inside jest's sandbox, checks them with `instanceof Float32Array` against the sandbox's own constructor,
 * which fails. Sharing the constructors makes the check see one realm, as in a plain Node process.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArraysEnvironment;
