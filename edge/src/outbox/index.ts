export * from './sqlite-outbox.js';
