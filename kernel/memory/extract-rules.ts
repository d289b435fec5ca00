import type { Fact } from './fact';

/** One rule: a first-person or third-person pattern and the attribute (or how to name it) it yields. */
interface Rule {
  re: RegExp;
  /** The attribute; a function names it from the match (favorite_<thing>, <relation>_name). */
  attribute: string | ((m: RegExpExecArray) => string);
  /** Which group holds the value (default 1). */
  value?: number;
  /** Which group names the entity (third person); absent: the speaker. */
  entity?: number;
}

// A value runs to the end of its clause: punctuation, or a word that starts another clause.
const VALUE = String.raw`([\p{L}\p{N}][\p{L}\p{N} .&'’-]{0,60}?)(?=\s*(?:[,.;!?)]|$|\s(?:and|but|since|because|now|with|for|these|this|anymore|again|last|yesterday|today|tonight|recently|ago|next|soon|already|too|as|when|after|before|until)\b))`;
const NAME = String.raw`([\p{Lu}][\p{L}'’-]+(?: [\p{Lu}][\p{L}'’-]+)?)`;
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

const RULES: Rule[] = [
  { re: new RegExp(String.raw`\b[Mm]y name is ${NAME}`, 'u'), attribute: 'name' },
  { re: new RegExp(String.raw`\bI(?: now)? (?:live|am living|'m living|’m living) in ${VALUE}`, 'iu'), attribute: 'lives_in' },
  { re: new RegExp(String.raw`\bI(?: have|'ve|’ve)?(?: just)? (?:moved|relocated) to ${VALUE}`, 'iu'), attribute: 'lives_in' },
  { re: new RegExp(String.raw`\bI(?: now)? (?:work|am working|'m working|’m working) (?:at|for) ${VALUE}`, 'iu'), attribute: 'works_at' },
  { re: new RegExp(String.raw`\bI(?: have|'ve|’ve)?(?: just)? (?:started working|got a job) (?:at|for) ${VALUE}`, 'iu'), attribute: 'works_at' },
  { re: new RegExp(String.raw`\bI work as (?:a|an) ${VALUE}`, 'iu'), attribute: 'job' },
  { re: new RegExp(String.raw`\bI(?: am|'m|’m) (\d{1,3}) years old`, 'iu'), attribute: 'age' },
  { re: new RegExp(String.raw`\bmy (?:birthday|date of birth) is (?:on )?${VALUE}`, 'iu'), attribute: 'birthday' },
  { re: new RegExp(String.raw`\bmy favou?rite ([a-z]+(?: [a-z]+)?) is ${VALUE}`, 'iu'), attribute: (m) => `favorite_${slug(m[1]!)}`, value: 2 },
  { re: new RegExp(String.raw`\bmy ([a-z]+(?: [a-z]+)?)(?:'s| is) (?:called|named) ${NAME}`, 'iu'), attribute: (m) => `${slug(m[1]!)}_name`, value: 2 },
  { re: new RegExp(String.raw`\b${NAME} (?:now )?(?:lives|is living) in ${VALUE}`, 'u'), attribute: 'lives_in', entity: 1, value: 2 },
  { re: new RegExp(String.raw`\b${NAME} (?:has )?(?:moved|relocated) to ${VALUE}`, 'u'), attribute: 'lives_in', entity: 1, value: 2 },
  { re: new RegExp(String.raw`\b${NAME} (?:now )?works (?:at|for) ${VALUE}`, 'u'), attribute: 'works_at', entity: 1, value: 2 },
];

/** Values that are only a function word ("I work in" cut short). */
const FILLER = new Set(['in', 'on', 'at', 'to', 'the', 'a', 'an', 'it', 'there', 'here', 'home', 'that', 'this']);

/** Words a third-person rule must not take for a name (sentence starts, pronouns). */
const NOT_NAMES = new Set(['i', 'he', 'she', 'they', 'we', 'it', 'who', 'that', 'this', 'everyone', 'someone', 'nobody', 'my', 'your', 'our', 'their']);

/**
 * The cheap, deterministic extractor: facts stated in plain patterns ("I moved to Lisbon", "my
 * favourite colour is green", "Ana works at Acme"), sentence by sentence, in order. First-person
 * facts are about `speaker`. It misses what it has no pattern for — the agent's model does better
 * where the agent allows it — but it never invents: every fact quotes its sentence.
 */
export function extractFactsByRules(text: string, speaker: string): Fact[] {
  const facts: Fact[] = [];
  for (const raw of text.split(/(?<=[.!?])\s+|\n+/)) {
    const sentence = raw.trim();
    if (sentence.length < 6 || sentence.length > 400 || /\?$/.test(sentence)) continue;
    for (const rule of RULES) {
      const m = rule.re.exec(sentence);
      if (!m) continue;
      const entity = rule.entity ? m[rule.entity]! : speaker;
      if (NOT_NAMES.has(entity.toLowerCase())) continue;
      if (/\b(?:not|never|don't|don’t|didn't|didn’t|no longer)\b/i.test(sentence.slice(0, m.index + m[0].length))) continue;
      const value = m[rule.value ?? 1]!.trim().replace(/[\s.'’-]+$/, '');
      if (value.length < 2 || FILLER.has(value.toLowerCase())) continue;
      const attribute = typeof rule.attribute === 'string' ? rule.attribute : rule.attribute(m);
      if (!attribute || attribute.length > 60) continue;
      facts.push({ entity, attribute, value, sentence });
    }
  }
  return facts;
}
