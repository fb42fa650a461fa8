/*
 * Hooks the built-in detectors use to stay fast; internal, so the public Detector
 * stays a plain regex + validate. User detectors get the same results from a
 * `secret` group (via the `d` flag) and a precheck, only slower.
 */
import type { Detector } from '../types.js';

/**
 * The next position at or after `from` where a match may start (an '@', say), or -1.
 * With it the pattern is run sticky, only at those positions, instead of scanning
 * every character; it replaces `precheck`.
 */
export const FIRST: unique symbol = Symbol('slm-audit.detector.first');
/** [start, end) of the text to replace for a match; `validate` then sees that text. */
export const LOCATE: unique symbol = Symbol('slm-audit.detector.locate');

export interface HookedDetector extends Detector {
  readonly [FIRST]?: (text: string, from: number) => number;
  readonly [LOCATE]?: (match: RegExpExecArray) => readonly [number, number];
}

/**
 * On the built-in redactor: what `redact` would find, without building the redacted
 * text. For policies that keep only the types and count (`hash`, `full`).
 */
export const SCAN: unique symbol = Symbol('slm-audit.redactor.scan');

export interface ScanningRedactor {
  [SCAN](text: string): { types: string[]; count: number };
}
