import { expect } from 'chai';
import { StopSequenceMatcher } from '../src/integrations/node-llama-cpp/text.js';

function run(stops: string[], chunks: string[]) {
  const m = new StopSequenceMatcher(stops);
  const streamed: string[] = [];
  for (const c of chunks) {
    streamed.push(m.push(c));
    if (m.stopped) break;
  }
  if (!m.stopped) streamed.push(m.end());
  return { text: m.text, streamed: streamed.join(''), stopped: m.stopped, pieces: streamed };
}

describe('@slm-audit/sdk/node-llama-cpp stop sequences', () => {
  it('passes text through when there are no stop sequences', () => {
    expect(run([], ['ab', 'cd'])).to.deep.include({ text: 'abcd', streamed: 'abcd', stopped: false });
  });

  it('cuts before a stop sequence split across chunks and streams nothing of it', () => {
    const r = run(['END'], ['abc E', 'N', 'D and more']);
    expect(r).to.deep.include({ text: 'abc ', streamed: 'abc ', stopped: true });
    // " E" could start "END", so it was held back rather than streamed.
    expect(r.pieces[0]).to.equal('abc ');
  });

  it('releases held-back text that turned out not to be a stop sequence', () => {
    const r = run(['END'], ['abc E', 'x']);
    expect(r).to.deep.include({ text: 'abc Ex', streamed: 'abc Ex', stopped: false });
    expect(r.pieces[0]).to.equal('abc ');
  });

  it('uses the earliest of several stop sequences and ignores empty ones', () => {
    expect(run(['', 'world', 'lo'], ['hello world'])).to.deep.include({ text: 'hel', stopped: true });
  });

  it('releases a held-back prefix at the end of generation', () => {
    expect(run(['STOP'], ['xyz ST'])).to.deep.include({ text: 'xyz ST', streamed: 'xyz ST', stopped: false });
  });
});
