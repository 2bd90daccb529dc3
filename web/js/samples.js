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
