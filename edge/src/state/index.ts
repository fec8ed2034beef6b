export * from './atomic-file.js';
export * from './device-state.js';
export * from './seq-counter.js';
export * from './startup-state.js';
