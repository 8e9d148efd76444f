// The presets: every example script of the repository, bundled at build time.

export interface Preset {
  /** The example's file name ("04-lt-vs-et-partial-read.json"). */
  file: string;
  name: string;
  notes: string;
  source: string;
  doc: Record<string, unknown>;
}

const modules = import.meta.glob<{ default: Record<string, unknown> }>('../../examples/*.json', {
  eager: true,
});

export const PRESETS: readonly Preset[] = Object.entries(modules)
  .map(([path, m]) => {
    const doc = m.default;
    return {
      file: path.slice(path.lastIndexOf('/') + 1),
      name: typeof doc.name === 'string' ? doc.name : path,
      notes: typeof doc.notes === 'string' ? doc.notes : '',
      source: typeof doc.source === 'string' ? doc.source : '',
      doc,
    };
  })
  .sort((a, b) => a.file.localeCompare(b.file));

export const DEFAULT_PRESET = '04-lt-vs-et-partial-read.json';
