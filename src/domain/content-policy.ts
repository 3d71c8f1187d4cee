/**
 * Prompt checks of the real API: characters it refuses (2009: "emojis and certain special Unicode
 * characters are not supported") and its content policy (2008), emulated by a word list.
 */
import { ApiError } from './errors.ts'

/**
 * Emoji (pictographs presented as emoji, the U+1F000 planes, joiners and variation selector 16),
 * control characters other than tab and newlines, private-use code points and lone surrogates.
 * Text symbols such as © ® ™ pass.
 */
const REFUSED_CHARACTERS = /\p{Emoji_Presentation}|[\u{1F000}-\u{1FFFF}]|\u{FE0F}|\u{200D}|\p{Co}|\p{Cs}|(?![\t\n\r])\p{Cc}/u

/** The default list: plainly unsafe words. Configurable (`content_policy_words`). */
export const DEFAULT_BANNED_WORDS: readonly string[] = ['nsfw', 'nude', 'naked', 'porn', 'gore', 'beheaded', 'swastika']

export class ContentPolicy {
  private readonly banned: RegExp | undefined

  constructor (words: readonly string[] = DEFAULT_BANNED_WORDS) {
    const terms = words.map((word) => word.trim()).filter((word) => word.length > 0).map(escapeRegExp)
    this.banned = terms.length === 0 ? undefined : new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.join('|')})(?![\\p{L}\\p{N}])`, 'iu')
  }

  /** Throws 2009 for refused characters, then 2008 for a banned word, in any of the texts. */
  check (texts: readonly string[]): void {
    for (const text of texts) {
      if (REFUSED_CHARACTERS.test(text)) throw new ApiError('INVALID_PROMPT_CHARACTERS', { detail: 'prompt has an emoji or a refused character' })
    }
    if (this.banned === undefined) return
    for (const text of texts) {
      const match = this.banned.exec(text)
      if (match !== null) throw new ApiError('CONTENT_POLICY', { detail: `prompt has the banned word "${match[0]}"` })
    }
  }
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
