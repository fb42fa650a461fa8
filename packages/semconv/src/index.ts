export * from './gen-ai.js';
export * from './audit.js';
