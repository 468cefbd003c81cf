// Validate APL documents with Amazon's apl-suggester: one JSON file per argument.
// Prints one JSON line per file: {"file": ..., "problems": [...]}; exit 1 when any.
const fs = require('fs');
const { StaticAplTemplateValidator } = require('apl-suggester');

async function main() {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    // apl-suggester prints "No mixin for component" notes on stdout; keep ours clean.
    const log = console.log;
    console.log = () => {};
    let problems;
    try {
      problems = await new StaticAplTemplateValidator().validate(doc);
    } finally {
      console.log = log;
    }
    if (problems.length) failed = true;
    process.stdout.write(JSON.stringify({ file, problems }) + '\n');
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.error(err); process.exit(2); });
