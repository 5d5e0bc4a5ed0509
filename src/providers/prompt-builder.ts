/**
 * What a model sees: the client's prompt plus the material the stages extracted
 * (media facts, transcript, OCR, document text) within a character budget, and the
 * contact sheet and/or frames as images. Anything cut is listed in `notes` — never
 * silently.
 */
export interface Material {
  mediaType: string;
  facts: string;
  /** Shots with times, objects, faces, cues and moderation from the on-CPU vision stages. */
  scene?: string | undefined;
  transcript?: string | undefined;
  ocr?: string | undefined;
  documentText?: string | undefined;
  images: Array<{ label: string; dataUrl: string }>;
}

export interface BuiltPrompt {
  system: string;
  user: string;
  images: Array<{ label: string; url: string }>;
  notes: string[];
}

export const SYSTEM_PROMPT =
  "You analyse media for the user. Answer the user's prompt using only the material provided (facts, transcript, on-screen/OCR text, document text and images). If the material does not contain the answer, say so.";

export function buildPrompt(prompt: string, m: Material, budgetChars: number, maxImages: number): BuiltPrompt {
  const notes: string[] = [];
  const sections: Array<[string, string | undefined]> = [
    ['Shots and what was seen (times in seconds)', m.scene],
    ['Transcript', m.transcript],
    ['On-screen / OCR text', m.ocr],
    ['Document text', m.documentText],
  ];
  const head = `${prompt}\n\n--- Material (${m.mediaType}) ---\nFacts: ${m.facts}\n`;
  let remaining = Math.max(0, budgetChars - head.length);
  const parts: string[] = [head];
  const present = sections.filter(([, text]) => text && text.trim());
  // Share the budget evenly; a section shorter than its share gives the rest away.
  present.forEach(([title, text], i) => {
    const share = Math.floor(remaining / (present.length - i));
    const body = text!.trim();
    if (body.length <= share) {
      parts.push(`\n${title}:\n${body}\n`);
      remaining -= body.length;
    } else {
      parts.push(`\n${title} (truncated to ${share} of ${body.length} characters):\n${body.slice(0, share)}\n`);
      notes.push(`${title} truncated to ${share} of ${body.length} characters to fit the context budget`);
      remaining -= share;
    }
  });
  const images = m.images.slice(0, maxImages).map((i) => ({ label: i.label, url: i.dataUrl }));
  if (m.images.length > images.length)
    notes.push(`${m.images.length - images.length} image(s) left out (at most ${maxImages} are sent)`);
  if (images.length) parts.push(`\nImages attached: ${images.map((i) => i.label).join(', ')}\n`);
  return { system: SYSTEM_PROMPT, user: parts.join(''), images, notes };
}
