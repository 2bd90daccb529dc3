// Parsing the "add my device" measurements: one `architecture, ms` pair per
// line (comma, tab or spaces between them). Every bad line is reported with
// its number, not only the first: a pasted block is fixed in one go.

// At most this many bad lines are listed; the rest are counted.
const SHOWN = 12;

// `{archs, ms}` from the text, or an Error listing the bad lines.
// `archError(arch)` says what is wrong with an architecture string (null
// when it is fine), so unknown operations are caught on their line too.
export function parseSamples(text, archError = () => null) {
  const archs = [];
  const ms = [];
  const problems = [];
  const seen = new Map();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = line.match(/^(.*?)[\s,;]+([^\s,;]+)$/);
    if (!match) {
      problems.push(`line ${i + 1}: expected "architecture, ms", got "${clip(line)}"`);
      return;
    }
    const arch = match[1].trim();
    const value = Number(match[2]);
    if (!Number.isFinite(value) || value <= 0) {
      problems.push(`line ${i + 1}: latency "${clip(match[2])}" is not a positive number of ms`);
      return;
    }
    const wrong = archError(arch);
    if (wrong) {
      problems.push(`line ${i + 1}: ${clip(wrong, 200)}`);
      return;
    }
    if (seen.has(arch)) {
      problems.push(`line ${i + 1}: the same architecture as line ${seen.get(arch)}`);
      return;
    }
    seen.set(arch, i + 1);
    archs.push(arch);
    ms.push(value);
  });
  if (problems.length) {
    const more = problems.length > SHOWN ? `\n… and ${problems.length - SHOWN} more` : '';
    throw new Error(`${problems.length} line${problems.length > 1 ? 's' : ''} of the measurements cannot be used:\n` +
      `${problems.slice(0, SHOWN).join('\n')}${more}`);
  }
  if (archs.length < 2) {
    throw new Error(`need at least 2 measured architectures, got ${archs.length}`);
  }
  return { archs, ms };
}

// A long value cut for a message.
function clip(text, n = 80) {
  return text.length > n ? `${text.slice(0, n)}…` : text;
}

// The architectures listed in the measurements box, measured or not yet (a
// line may hold an architecture alone, or one followed by a separator and
// no latency, as suggestions are filled in).
export function listedArchs(text) {
  return text.split('\n')
    .map((raw) => raw.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = line.match(/^(.*?)[\s,;]+([^\s,;]+)$/);
      const arch = match && Number.isFinite(Number(match[2])) ? match[1] : line;
      return arch.replace(/[\s,;]+$/, '').trim();
    });
}
