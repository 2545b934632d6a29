/**
 * Prometheus text exposition format 0.0.4, the pieces every metric renders with (pure). Escaping
 * follows the format (and prom-client, whose output this must match byte for byte): label values
 * escape `\`, newline and `"`; HELP text escapes `\` and newline.
 */

const LABEL_SPECIAL = /[\\\n"]/;
const HELP_SPECIAL = /[\\\n]/;

/** A label value as it appears between the quotes. */
export function escapeLabelValue(value: string): string {
  if (!LABEL_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text as it appears after the metric name. */
export function escapeHelp(help: string): string {
  if (!HELP_SPECIAL.test(help)) return help;
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `a="x",b="y"`: the inside of the braces for `names` paired with `values`. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  let text = '';
  for (let i = 0; i < names.length; i++) text += `${i > 0 ? ',' : ''}${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  return text;
}

/** A sample value: `+Inf`, `-Inf`, `Nan` (sic, as prom-client writes it) or the number. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return `${value}`;
  if (Number.isNaN(value)) return 'Nan';
  return value < 0 ? '-Inf' : '+Inf';
}

/** One sample line: `name{labels} value`, or `name value` without labels. */
export function sampleLine(name: string, labels: string, value: number): string {
  return labels === '' ? `${name} ${formatValue(value)}` : `${name}{${labels}} ${formatValue(value)}`;
}

/** The HELP and TYPE lines of a metric. */
export function headerLines(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}
