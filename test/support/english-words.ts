/**
 * English words that no Swedish sentence has: found in a page's text, they mean an English
 * sentence slipped into a Swedish page. What is English on purpose is left out first: elements
 * marked `lang="en"` (a developer's detail), code, scripts and styles, and attribute values.
 */
const ENGLISH = /\b(the|and|your|you|is|are|with|this|that|please|was|were|has|have|not|could|would|should|sign in|signed in|here|there)\b/gi;

export function englishWordsIn(html: string): string[] {
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<(\w+)\b[^>]*\blang="en"[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<code\b[\s\S]*?<\/code>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ');
  return [...new Set([...text.matchAll(ENGLISH)].map((match) => match[0].toLowerCase()))];
}
