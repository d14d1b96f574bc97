/**
 * Checks a data folder and prints every problem and warning at once, then the good images per
 * center.
 *
 *   npm run data:check [-- <data folder>]   (default: DENTAL_DATA, else ../shared/data)
 *
 * Exit status 0 when both centers have no problem (warnings allowed), 1 when any was found.
 */
import { checkDataset } from '../lib/data/check.js';
import { resolveDataRoot } from '../lib/data/paths.js';

async function main(): Promise<void> {
  const root = resolveDataRoot(process.argv[2]);
  console.log(`data check: ${root}`);
  const checks = await checkDataset(root);
  for (const check of checks) {
    for (const problem of check.problems) console.log(`  center ${check.center}: ${problem}`);
    for (const warning of check.warnings) {
      console.log(`  center ${check.center}: warning: ${warning}`);
    }
  }
  for (const check of checks) {
    const warned = check.warnings.length === 0 ? '' : `, ${check.warnings.length} warning(s)`;
    const verdict = (check.problems.length === 0 ? 'clean'
      : `${check.problems.length} problem(s)`) + warned;
    console.log(`center ${check.center}: ${check.good} good images, ${verdict} (${check.folder})`);
  }
  process.exit(checks.some((check) => check.problems.length > 0) ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(`data check: ${(error as Error).message}`);
  process.exit(1);
});
