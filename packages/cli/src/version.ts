// Kept in step with package.json by the release script; not read from disk at run time.
export const VERSION = '0.1.0';
