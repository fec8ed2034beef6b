export * from './command-memory.js';
export * from './device-state.js';
export * from './epoch.js';
export * from './startup-state.js';
