/**
 * Writes bench/quality/labels/speech.json: every recording of real speech with a
 * reference transcript that Debian ships and the speech evaluation uses, each with its
 * split. Run once when the material changes:
 *
 *   node bench/quality/speech-labels.build.ts
 *
 * The references are not ours: they are the transcripts the packages ship beside the
 * recordings (pocketsphinx-testdata's `transcription` files, asterisk-core-sounds-en's
 * core-sounds-en.txt, for its 8 kHz WAV and its 16 kHz G.722 recordings), plus two sets labelled by the file's name (alsa-utils' channel
 * names, pocketsphinx's `goforward` test utterance, whose words are the ones its grammar
 * and its test suite expect). Written digits are spelled as spoken ("press 1" → "press
 * one"); prompts with other numbers or symbols, tones and non-speech are left out.
 *
 * Split: within each corpus the items are sorted by id and alternate tuning / held-out
 * (first item tuning), a rule fixed before any decoding.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface SpeechLabel {
  id: string;
  corpus: 'librivox' | 'cards' | 'goforward' | 'alsa' | 'asterisk' | 'asterisk-g722';
  /** Absolute path in the Debian package. */
  file: string;
  /**
   * `raw`: headerless 16 kHz mono 16-bit PCM (pocketsphinx's .raw test files); `g722`:
   * raw G.722 at 16 kHz (asterisk-core-sounds-en-g722), which ffmpeg reads by its extension.
   */
  format: 'wav' | 'raw' | 'g722';
  /** Wideband (≥ 16 kHz, what the en-us model was trained on) or 8 kHz telephone speech. */
  band: 'wide' | 'narrow';
  /** Spoken words; empty for a recording with no speech (the alsa noise test). */
  reference: string;
  split: 'tuning' | 'held-out';
  source: string;
}

const PS = '/usr/share/pocketsphinx/test/data';
const ALSA = '/usr/share/sounds/alsa';
const AST = '/usr/share/asterisk/sounds/en_US_f_Allison';
const AST_TEXT = '/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz';
/**
 * Every third eligible asterisk prompt: ~10 minutes of audio in all, so one evaluation
 * (and each setting tried while tuning) decodes in minutes on the 2-core machine.
 */
const ASTERISK_EVERY = 3;
const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

type Item = Omit<SpeechLabel, 'split'>;

function transcriptFile(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^<s> (.*?)\s*<\/s> \((.+)\)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

function librivox(): Item[] {
  return [...transcriptFile(path.join(PS, 'librivox/transcription'))].map(([id, reference]) => ({
    id: `librivox/${id}`,
    corpus: 'librivox',
    file: path.join(PS, 'librivox', `${id}.wav`),
    format: 'wav',
    band: 'wide',
    reference,
    source: 'pocketsphinx-testdata librivox/transcription (shipped reference)',
  }));
}

function cards(): Item[] {
  return [...transcriptFile(path.join(PS, 'cards/cards.transcription'))].map(([id, reference]) => ({
    id: `cards/${id}`,
    corpus: 'cards',
    file: path.join(PS, 'cards', `${id}.wav`),
    format: 'wav',
    band: 'wide',
    reference,
    source: 'pocketsphinx-testdata cards/cards.transcription (shipped reference)',
  }));
}

function goforward(): Item[] {
  return [
    {
      id: 'goforward',
      corpus: 'goforward',
      file: path.join(PS, 'goforward.raw'),
      format: 'raw',
      band: 'wide',
      reference: 'go forward ten meters',
      source:
        "pocketsphinx-testdata goforward.raw; the words of goforward.gram's first rule, which pocketsphinx's own tests expect",
    },
  ];
}

function alsa(): Item[] {
  return fs
    .readdirSync(ALSA)
    .filter((f) => f.endsWith('.wav'))
    .map((f) => {
      const name = f.replace(/\.wav$/, '');
      return {
        id: `alsa/${name}`,
        corpus: 'alsa' as const,
        file: path.join(ALSA, f),
        format: 'wav' as const,
        band: 'wide' as const,
        // Noise.wav is the speaker test's noise signal: no words (any word heard there is an insertion).
        reference: name === 'Noise' ? '' : name.replace(/_/g, ' ').toLowerCase(),
        source:
          name === 'Noise'
            ? 'alsa-utils speaker-test noise signal: no speech'
            : "alsa-utils speaker-test channel name, spoken by a real voice (the file's name is the words)",
      };
    });
}

/** Every asterisk prompt whose spoken words the shipped text writes out, in id order. */
function asteriskPrompts(): Array<{ id: string; spoken: string }> {
  const lines = zlib.gunzipSync(fs.readFileSync(AST_TEXT)).toString('utf8').split('\n');
  const eligible: Array<{ id: string; spoken: string }> = [];
  for (const line of lines) {
    const m = /^([a-z0-9-]+): (.+)$/.exec(line.trim());
    if (!m) continue;
    const [, id, text] = m as unknown as [string, string, string];
    if (!fs.existsSync(path.join(AST, `${id}.wav`))) continue;
    // Tones, notes and prompts whose spoken form is not written out (multi-digit numbers, *, #, <…>).
    if (/[[\]<>*#@/&%$]|\d\d|\d\.\d/.test(text)) continue;
    const spoken = text
      .replace(/\b\d\b/g, (d) => DIGITS[Number(d)]!)
      .replace(/\.\.\./g, ' ')
      .trim();
    if (spoken.split(/\s+/).length < 2) continue;
    eligible.push({ id, spoken });
  }
  return eligible.sort((a, b) => a.id.localeCompare(b.id));
}

/** The 8 kHz recordings of every ASTERISK_EVERY-th prompt (the first, fourth, …). */
function asterisk(): Item[] {
  return asteriskPrompts()
    .filter((_, i) => i % ASTERISK_EVERY === 0)
    .map(({ id, spoken }) => ({
      id: `asterisk/${id}`,
      corpus: 'asterisk',
      file: path.join(AST, `${id}.wav`),
      format: 'wav',
      band: 'narrow',
      reference: spoken,
      source: 'asterisk-core-sounds-en(-wav) core-sounds-en.txt (shipped prompt text), digits spelled out',
    }));
}

/**
 * The same speaker's studio prompts at 16 kHz (asterisk-core-sounds-en-g722): the next
 * prompt after each one used at 8 kHz (the second, fifth, …), so no text is in both sets.
 * Wideband, so they count toward the wideband figure: recordings not made for
 * pocketsphinx's tests, read from a script.
 */
function asteriskWide(): Item[] {
  return asteriskPrompts()
    .filter((_, i) => i % ASTERISK_EVERY === 1)
    .map(({ id, spoken }) => ({ id, spoken, file: path.join(AST, `${id}.g722`) }))
    .filter(({ file }) => fs.existsSync(file))
    .map(({ id, spoken, file }) => ({
      id: `asterisk-g722/${id}`,
      corpus: 'asterisk-g722',
      file,
      format: 'g722',
      band: 'wide',
      reference: spoken,
      source:
        'asterisk-core-sounds-en-g722 (16 kHz G.722) with core-sounds-en.txt (shipped prompt text), digits spelled out',
    }));
}

export function buildLabels(): SpeechLabel[] {
  const out: SpeechLabel[] = [];
  for (const corpus of [librivox(), cards(), goforward(), alsa(), asterisk(), asteriskWide()]) {
    const sorted = [...corpus].sort((a, b) => a.id.localeCompare(b.id));
    sorted.forEach((item, i) => out.push({ ...item, split: i % 2 === 0 ? 'tuning' : 'held-out' }));
  }
  return out;
}

if (import.meta.filename === process.argv[1]) {
  const labels = buildLabels();
  const file = path.resolve(import.meta.dirname, 'labels/speech.json');
  const doc = {
    capability: 'speech',
    labelled_by:
      'Nobody listened: every reference is the transcript shipped with the recording by its Debian package (or, for alsa-utils and goforward, the words the file is named and tested for); built by bench/quality/speech-labels.build.ts',
    split_rule: 'within each corpus, sorted by id, alternating tuning / held-out starting with tuning',
    items: labels,
  };
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(
    `${labels.length} items (${labels.filter((l) => l.split === 'tuning').length} tuning) → ${path.relative(process.cwd(), file)}\n`,
  );
}
