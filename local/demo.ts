import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run demo`: the product's main job with no accounts. Each sentiment source runs in its
 * own process (the handlers read their configuration once, as in Lambda): first Symbl's
 * analyzer dialing into each conference, then Telnyx transcription of the customer's leg.
 */
const args = process.argv.slice(2);
/** `--keep`: after the calls, keep the live view serving (Ctrl+C stops it). */
const keep = args.includes('--keep');
const named = args.filter((a) => a === 'symbl' || a === 'telnyx');
const sources = (named.length > 0 ? named : ['symbl', 'telnyx']) as ('symbl' | 'telnyx')[];
const runner = fileURLToPath(new URL('./demo-run.ts', import.meta.url));

const titles = {
  symbl: 'Sentiment from Symbl (the analyzer dials into each call’s conference; the poller reads its scores)',
  telnyx: `Sentiment from Telnyx transcription of the customer’s leg, scored ${process.env.SENTIMENT_SCORER === 'comprehend' ? 'by the Comprehend stand-in' : 'locally'} (no Symbl account)`,
};

let failed = 0;
for (const source of sources) {
  console.log(`\n=== ${titles[source]} ===`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, source, ...(keep ? ['--keep'] : [])], { stdio: 'inherit', env: process.env });
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) failed += 1;
}
console.log(failed === 0 ? '\nEvery scenario met its expectation.' : `\n${failed} of ${sources.length} source runs had scenarios that missed their expectation.`);
process.exit(failed === 0 ? 0 : 1);
