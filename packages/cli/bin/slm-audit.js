#!/usr/bin/env node
// Committed (and executable) so npm can link it before the TypeScript build has run.
import '../dist/bin.js';
