import * as tf from '@tensorflow/tfjs';

/**
 * tfjs under Node without tfjs-node (which would download a native binary):
 * the pure-JS cpu backend. Its one-time advice to install tfjs-node is not
 * for us, so it is silenced here, once, for every Node entry point.
 */
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('tfjs-node')) return;
  warn(...args);
};
await tf.setBackend('cpu');
await tf.ready();
// The cpu backend gives its advice on its first tensor write.
tf.tensor1d([0]).dispose();
console.warn = warn;

export { tf };
