export * from './clock.js';
export * from './device-id.js';
export * from './env-config.js';
export * from './limits.js';
export * from './logger.js';
export * from './messages.js';
export * from './topics.js';
export * from './validation.js';
