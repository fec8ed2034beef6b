export * from './ota-simulator.js';
export * from './ota-status.js';
