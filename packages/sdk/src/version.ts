// Kept in step with package.json by hand: reading package.json at run time would
// need a file read (and a path) in every process that loads the SDK.
export const VERSION = '0.1.0';
