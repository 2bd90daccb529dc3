// Parsing the "add my device" measurements: one `architecture, ms` pair per
// line (comma, tab or spaces between them). Errors name the line.

export function parseSamples(text) {
  const archs = [];
  const ms = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = line.match(/^(.*?)[\s,;]+([^\s,;]+)$/);
    if (!match) {
      throw new Error(`line ${i + 1}: expected "architecture, ms", got "${line}"`);
    }
    const value = Number(match[2]);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`line ${i + 1}: latency "${match[2]}" is not a positive number of ms`);
    }
    archs.push(match[1].trim());
    ms.push(value);
  });
  if (archs.length < 2) {
    throw new Error(`need at least 2 measured architectures, got ${archs.length}`);
  }
  return { archs, ms };
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
